/* task.c: not written yet */
