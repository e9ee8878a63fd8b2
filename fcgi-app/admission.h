/*
 * admission.h - how many tasks each client has in the responder right now,
 * so one client cannot hold every worker (max_client_tasks in ecs.conf).
 * A client is the identity authentication resolved (certificate subject or
 * BASIC user). Thread-safe: one mutex; a table as large as the number of
 * clients with a task in flight.
 */
#ifndef ECSFCGI_ADMISSION_H
#define ECSFCGI_ADMISSION_H

typedef struct admission admission;

/** admission_new - an empty table. Returns 0, or -1 out of memory. Free with admission_free(). */
int admission_new(admission **out);

/** admission_free - free the table; NULL is allowed. */
void admission_free(admission *a);

/**
 * admission_enter - count one more task of @client unless it already has
 * @limit (0 = no cap; the task is still counted).
 * Returns 0 when admitted (pair it with admission_leave()), 1 when the client
 * is at its limit (nothing counted), -1 out of memory (nothing counted).
 */
int admission_enter(admission *a, const char *client, int limit);

/** admission_leave - one task of @client is over. */
void admission_leave(admission *a, const char *client);

/** admission_count - the tasks @client has now (for tests and logs). */
int admission_count(admission *a, const char *client);

#endif
