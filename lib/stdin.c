/* stdin.c: not written yet */
