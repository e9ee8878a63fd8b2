/* logs.c: not written yet */
