/* image_ref.c: not written yet */
