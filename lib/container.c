/* container.c: not written yet */
