/* demux.c: not written yet */
