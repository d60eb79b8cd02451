/* naswot's C interface: score untrained NAS networks from C, Rust, Go, ... (link -lnaswot).
 *
 * Threads: a scorer is used by one thread at a time; scorers in different threads are independent.
 * naswot_last_error() is per thread. Strings in a naswot_row stay valid until the next call with
 * the same scorer, or naswot_free. */
#ifndef NASWOT_NASWOT_H
#define NASWOT_NASWOT_H

#ifdef __cplusplus
extern "C" {
#endif

typedef struct naswot_scorer naswot_scorer;

typedef struct naswot_row {
  long index;         /* in the space's benchmark order */
  double score;       /* higher is better; -inf when degenerate, NaN when reference_nan */
  double seconds;     /* scoring time */
  const char* arch;   /* NB201 arch string, SSS channels, NB101 "hash matrix ops" */
  const char* status; /* "ok", "degenerate" or "reference_nan" */
  const char* reason; /* why, when not ok; "" otherwise */
} naswot_row;

/* A scorer from space-separated key=value options, as the CLI's scoring options without dashes
 * ("space=nb201 batch=128 data=/path/to/data backend=cpu"); NULL on error (see naswot_last_error). */
naswot_scorer* naswot_new(const char* options);
/* Scores one architecture as --arch takes it (index, arch string, NB101 hash, SSS channels).
 * Returns 0 and fills *row, or -1 (see naswot_last_error). */
int naswot_score(naswot_scorer* scorer, const char* arch, naswot_row* row);
/* The architectures in the scorer's space. */
long naswot_space_size(const naswot_scorer* scorer);
void naswot_free(naswot_scorer* scorer);
/* The message of this thread's last failed call ("" when none). */
const char* naswot_last_error(void);
const char* naswot_version(void);

#ifdef __cplusplus
}
#endif
#endif
