/* common.c: not written yet */
