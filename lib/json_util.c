/* json_util.c: not written yet */
