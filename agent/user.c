/*
 * ecs-agent: resolve a container `User` spec the way the engine does
 * (Docker 20.10's getUser() calls runc's libcontainer/user.GetExecUser with
 * no defaults; runc then looks HOME up by uid). See user.h.
 *
 * The rules, as runc has them:
 * - "" means uid 0; a user part of digits is always a uid (matched against
 *   passwd, else taken as it is, if in range); otherwise a name that must
 *   be in passwd. The first matching line wins.
 * - With a group part, the gid is that group (by gid when digits, else by
 *   name) and there are no supplementary groups. Without one, the gid is the
 *   passwd entry's (0 when none) and the supplementary groups are those
 *   whose member list names the matched user, in file order.
 * - The supplementary groups are the gid, then those (Docker's
 *   AdditionalGids).
 * - Lines are trimmed; fields are ':'-separated, missing ones empty, a
 *   number that does not parse is 0.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "user.h"

#define FIELDS_MAX 7

typedef struct {
	const char *p[FIELDS_MAX];
	size_t n[FIELDS_MAX];
} fields;

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

/* The next line of [*pos, end): trimmed, split on ':'; 0 at the end of the input. */
static int next_line(const char **pos, const char *end, fields *f)
{
	while (*pos < end) {
		const char *s = *pos, *e = memchr(s, '\n', (size_t)(end - s));
		size_t k = 0;

		if (e == NULL)
			e = end;
		*pos = e < end ? e + 1 : end;
		while (s < e && is_space(*s))
			s++;
		while (e > s && is_space(e[-1]))
			e--;
		if (s == e)
			continue;
		memset(f, 0, sizeof(*f));
		for (;;) {
			const char *c = memchr(s, ':', (size_t)(e - s));

			if (k < FIELDS_MAX) {
				f->p[k] = s;
				f->n[k] = (size_t)((c ? c : e) - s);
				k++;
			}
			if (c == NULL)
				break;
			s = c + 1;
		}
		return 1;
	}
	return 0;
}

/* Go's strconv.Atoi as runc uses it on file fields: a failure counts as 0. */
static long long field_num(const char *p, size_t n)
{
	long long v = 0;
	size_t i = 0;
	int neg = 0;

	if (n > 0 && (p[0] == '+' || p[0] == '-')) {
		neg = p[0] == '-';
		i = 1;
	}
	if (i == n || n - i > 18)
		return 0;
	for (; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return 0;
		v = v * 10 + (p[i] - '0');
	}
	return neg ? -v : v;
}

/* A spec part that is all digits (what runc treats as an id); -1 when it is a name. */
static long long spec_num(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 18 || strspn(s, "0123456789") != n)
		return -1;
	return field_num(s, n);
}

static int field_is(const fields *f, int k, const char *s)
{
	return f->p[k] != NULL && f->n[k] == strlen(s) && memcmp(f->p[k], s, f->n[k]) == 0;
}

/* Is @name in the comma-separated member list of group line @f? */
static int member(const fields *f, const char *name, size_t name_len)
{
	const char *s = f->p[3], *end;

	if (s == NULL || f->n[3] == 0)
		return 0;
	end = s + f->n[3];
	for (;;) {
		const char *c = memchr(s, ',', (size_t)(end - s));
		const char *e = c ? c : end;

		if ((size_t)(e - s) == name_len && memcmp(s, name, name_len) == 0)
			return 1;
		if (c == NULL)
			return 0;
		s = c + 1;
	}
}

static void set_home(agent_user *out, const char *passwd, size_t passwd_len)
{
	const char *pos = passwd, *end;
	fields f;

	snprintf(out->home, sizeof(out->home), "/");
	if (passwd == NULL)
		return;
	end = passwd + passwd_len;
	while (next_line(&pos, end, &f)) {
		if (f.p[2] != NULL && field_num(f.p[2], f.n[2]) == (long long)out->uid) {
			if (f.p[5] != NULL && f.n[5] > 0 && f.n[5] < sizeof(out->home)) {
				memcpy(out->home, f.p[5], f.n[5]);
				out->home[f.n[5]] = '\0';
			}
			return;
		}
	}
}

int agent_user_resolve(agent_user *out, const char *spec, const char *passwd, size_t passwd_len, const char *group,
		       size_t group_len)
{
	char user_arg[256], group_arg[256], matched[256] = "";
	const char *colon, *pos, *end;
	long long uid_arg, gid_arg, id;
	int found = 0, have_match = 0;
	fields f;
	size_t n;

	memset(out, 0, sizeof(*out));
	if (spec == NULL || strlen(spec) >= sizeof(user_arg))
		return AGENT_USER_EINVAL;
	colon = strchr(spec, ':');
	n = colon ? (size_t)(colon - spec) : strlen(spec);
	memcpy(user_arg, spec, n);
	user_arg[n] = '\0';
	group_arg[0] = '\0';
	if (colon != NULL) {
		const char *g = colon + 1, *c2 = strchr(g, ':');
		size_t gn = c2 ? (size_t)(c2 - g) : strlen(g);

		memcpy(group_arg, g, gn);
		group_arg[gn] = '\0';
	}
	uid_arg = spec_num(user_arg);
	gid_arg = spec_num(group_arg);

	/* the user: first matching passwd line */
	if (passwd != NULL) {
		pos = passwd;
		end = passwd + passwd_len;
		while (next_line(&pos, end, &f)) {
			int hit;

			if (user_arg[0] == '\0')
				hit = f.p[2] != NULL && field_num(f.p[2], f.n[2]) == 0;
			else if (uid_arg >= 0)
				hit = f.p[2] != NULL && field_num(f.p[2], f.n[2]) == uid_arg;
			else
				hit = field_is(&f, 0, user_arg);
			if (!hit)
				continue;
			id = f.p[2] ? field_num(f.p[2], f.n[2]) : 0;
			if (id < 0 || id > AGENT_USER_MAX_ID)
				return AGENT_USER_ERANGE;
			out->uid = (uid_t)id;
			id = f.p[3] ? field_num(f.p[3], f.n[3]) : 0;
			if (id < 0 || id > AGENT_USER_MAX_ID)
				return AGENT_USER_ERANGE;
			out->gid = (gid_t)id;
			if (f.n[0] >= sizeof(matched))
				return AGENT_USER_EINVAL;
			memcpy(matched, f.p[0], f.n[0]);
			matched[f.n[0]] = '\0';
			found = 1;
			have_match = matched[0] != '\0';
			break;
		}
	}
	if (!found && user_arg[0] != '\0') {
		/* no passwd line: only a numeric uid stands on its own */
		if (uid_arg < 0)
			return AGENT_USER_ENOUSER;
		if (uid_arg > AGENT_USER_MAX_ID)
			return AGENT_USER_ERANGE;
		out->uid = (uid_t)uid_arg;
	}

	/* the group, or the supplementary groups of the matched name */
	if (group_arg[0] != '\0' || have_match) {
		found = 0;

		pos = group;
		end = group ? group + group_len : NULL;
		while (group != NULL && next_line(&pos, end, &f)) {
			int hit;

			if (group_arg[0] == '\0')
				hit = member(&f, matched, strlen(matched));
			else if (gid_arg >= 0)
				hit = f.p[2] != NULL && field_num(f.p[2], f.n[2]) == gid_arg;
			else
				hit = field_is(&f, 0, group_arg);
			if (!hit)
				continue;
			id = f.p[2] ? field_num(f.p[2], f.n[2]) : 0;
			if (id < 0 || id > AGENT_USER_MAX_ID)
				return AGENT_USER_ERANGE;
			if (group_arg[0] != '\0') {
				out->gid = (gid_t)id; /* the first match wins */
				found = 1;
				break;
			}
			if (out->ngroups == AGENT_USER_MAX_GROUPS)
				return AGENT_USER_ETOOMANY;
			out->groups[out->ngroups++] = (gid_t)id;
		}
		if (group_arg[0] != '\0' && !found) {
			if (gid_arg < 0)
				return AGENT_USER_ENOGROUP;
			if (gid_arg > AGENT_USER_MAX_ID)
				return AGENT_USER_ERANGE;
			out->gid = (gid_t)gid_arg;
		}
	}
	/* the engine's supplementary groups begin with the gid itself (Docker's getUser(): measured, `id` shows it) */
	if (out->ngroups == AGENT_USER_MAX_GROUPS)
		return AGENT_USER_ETOOMANY;
	memmove(out->groups + 1, out->groups, out->ngroups * sizeof(out->groups[0]));
	out->groups[0] = out->gid;
	out->ngroups++;
	set_home(out, passwd, passwd_len);
	return 0;
}

const char *agent_user_strerror(int err)
{
	switch (err) {
	case 0: return "success";
	case AGENT_USER_ENOUSER: return "no matching entries in passwd file";
	case AGENT_USER_ENOGROUP: return "no matching entries in group file";
	case AGENT_USER_ERANGE: return "uids and gids must be in range 0-2147483647";
	case AGENT_USER_EINVAL: return "malformed user spec";
	case AGENT_USER_ETOOMANY: return "too many supplementary groups";
	default: return "unknown error";
	}
}
