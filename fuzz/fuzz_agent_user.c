/*
 * Fuzzer: ecs-agent's resolution of the task's user (agent/user.c) from an
 * image's /etc/passwd and /etc/group, which the image's author wrote.
 *
 * Input: the user spec, a NUL, the passwd file, a NUL, the group file (a
 * missing part is a missing file). Checks: no crash or overread; a result
 * is the same when asked twice; ids are in the engine's range; the groups
 * begin with the gid, as the engine's do; HOME is
 * non-empty and NUL-terminated; without a passwd file, a spec of a uid in
 * range always resolves.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "user.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;
	const char *nul1 = memchr(p, '\0', size), *passwd = NULL, *group = NULL;
	size_t plen = 0, glen = 0;
	char spec[300];
	agent_user a, b;
	int rc, rc2;

	if (nul1 == NULL || (size_t)(nul1 - p) >= sizeof(spec))
		return 0;
	memcpy(spec, p, (size_t)(nul1 - p) + 1);
	if (nul1 + 1 < end) {
		const char *nul2 = memchr(nul1 + 1, '\0', (size_t)(end - nul1 - 1));

		passwd = nul1 + 1;
		plen = (size_t)((nul2 ? nul2 : end) - passwd);
		if (nul2 != NULL) {
			group = nul2 + 1;
			glen = (size_t)(end - group);
		}
	}
	rc = agent_user_resolve(&a, spec, passwd, plen, group, glen);
	rc2 = agent_user_resolve(&b, spec, passwd, plen, group, glen);
	if (rc != rc2 || (rc == 0 && memcmp(&a, &b, sizeof(a)) != 0))
		abort();
	if (rc != 0) {
		size_t n = strlen(spec);

		if (agent_user_strerror(rc)[0] == '\0')
			abort();
		/* without a passwd file a bare uid in range (at most 9 digits: below 2^31) stands on its own */
		if (passwd == NULL && n > 0 && n <= 9 && strspn(spec, "0123456789") == n)
			abort();
		return 0;
	}
	if ((unsigned long)a.uid > AGENT_USER_MAX_ID || (unsigned long)a.gid > AGENT_USER_MAX_ID ||
	    a.ngroups < 1 || a.ngroups > AGENT_USER_MAX_GROUPS || a.groups[0] != a.gid || a.home[0] == '\0' || memchr(a.home, '\0', sizeof(a.home)) == NULL)
		abort();
	for (size_t i = 0; i < a.ngroups; i++)
		if ((unsigned long)a.groups[i] > AGENT_USER_MAX_ID)
			abort();
	return 0;
}
