/*
 * watch.h - notice that a client went away while its task runs.
 *
 * nginx closes its FastCGI connection when the client aborts (nginx-conf:
 * fastcgi_ignore_client_abort off, fastcgi_keep_conn off), and nginx never
 * half-closes a connection it still uses: so a hang-up on the connection of a
 * queued or running task means nobody waits for its answer. One thread polls
 * the connections of every watched task for POLLRDHUP/POLLHUP/POLLERR and
 * triggers the task's cancel token (libecs then kills the container and
 * hands it to deletion). Thread-safe.
 */
#ifndef ECSFCGI_WATCH_H
#define ECSFCGI_WATCH_H

#include <ecs/ecs.h>

typedef struct watch watch;
typedef struct watch_entry watch_entry;

/** watch_new - start the watcher thread. Returns 0, or -1 (out of memory, no thread). */
int watch_new(watch **out);

/** watch_free - stop the thread and free everything; no entry may remain. NULL is allowed. */
void watch_free(watch *w);

/**
 * watch_add - watch @fd (not owned) until watch_remove(): when its peer hangs
 * up, trigger @gone, then @cancel (either may be NULL; both must outlive the
 * entry). Returns the entry, or NULL when out of memory (then nothing is watched).
 */
watch_entry *watch_add(watch *w, int fd, ecs_cancel *cancel, ecs_cancel *gone);

/** watch_remove - stop watching; call before the fd is closed. NULL is allowed. */
void watch_remove(watch *w, watch_entry *e);

#endif
