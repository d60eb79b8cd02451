/* Scores architectures through the installed C interface: consumer_c "key=value ..." ARCH...
 * Prints index, arch, score (all digits) and status per line; exit 1 with the message on an error. */
#include <naswot/naswot.h>
#include <stdio.h>

int main(int argc, char** argv) {
  if (argc < 3) return 2;
  naswot_scorer* s = naswot_new(argv[1]);
  if (!s) {
    fprintf(stderr, "consumer_c: %s\n", naswot_last_error());
    return 1;
  }
  for (int i = 2; i < argc; ++i) {
    naswot_row r;
    if (naswot_score(s, argv[i], &r) != 0) {
      fprintf(stderr, "consumer_c: %s\n", naswot_last_error());
      naswot_free(s);
      return 1;
    }
    printf("%ld\t%s\t%.17g\t%s\n", r.index, r.arch, r.score, r.status);
  }
  naswot_free(s);
  return 0;
}
