"""Kendall's tau-b written out from its definition (O(n^2)): the tests' independent check of engine/stats."""


def tau_b(x, y):
    n = len(x)
    c = d = tx = ty = 0
    for i in range(n):
        for j in range(i + 1, n):
            a, b = (x[i] > x[j]) - (x[i] < x[j]), (y[i] > y[j]) - (y[i] < y[j])
            if a and b:
                c += a == b
                d += a != b
            elif a:
                ty += 1
            elif b:
                tx += 1
    return (c - d) / ((c + d + tx) * (c + d + ty)) ** 0.5
