/* registry_auth.c: not written yet */
