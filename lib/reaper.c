/* reaper.c: not written yet */
