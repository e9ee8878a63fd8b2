/* callback_conf.c - the callback keys of ecs.conf. See callback_conf.h. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "callback_conf.h"
#include "callback_url.h"
#include "value.h"

/* An HMAC key shorter than this is guessable offline from one signed delivery. */
#define SECRET_MIN 16
#define SECRET_MAX 4096
#define SECRET_EXPECT "expected a secret of 16 to 4096 bytes without control characters"

void callback_conf_init(callback_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->retry_for_s = 3600;
	c->timeout_s = 10;
}

static void free_allow(callback_conf *c)
{
	size_t i;

	for (i = 0; i < c->allow_len; i++)
		free(c->allow[i].host);
	free(c->allow);
	c->allow = NULL;
	c->allow_len = 0;
}

void callback_conf_clear(callback_conf *c)
{
	free_allow(c);
	free(c->secret);
	free(c->ca_file);
	callback_conf_init(c);
}

/* Parsed here, once: a request's URL is matched against hosts and ports, never against this text. */
static int set_allow(void *t, const conf_key *k, const char *v, char *why, size_t whylen)
{
	callback_conf *c = t;
	char **words = NULL;
	size_t n = 0, i;
	int rc;

	(void)k;
	if (value_split_words(&words, &n, v) != 0)
		return -2;
	free_allow(c);
	rc = n > 0 && (c->allow = calloc(n, sizeof(*c->allow))) == NULL ? -2 : 0;
	for (i = 0; rc == 0 && i < n; i++) {
		rc = callback_allow_parse_entry(&c->allow[i], words[i], why, whylen);
		if (rc == 0)
			c->allow_len++;
	}
	value_free_words(words, n);
	return rc;
}

static int secret_ok(const char *s, size_t len)
{
	size_t i;

	if (len < SECRET_MIN || len > SECRET_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

/* The target member is at the key's offset: the [ecs] table's is callback_conf.secret, a [client]'s the rule's own. */
static int set_secret(void *t, const conf_key *k, const char *v, char *why, size_t whylen)
{
	char **dst = (char **)(void *)((char *)t + k->offset);

	if (!secret_ok(v, strlen(v)))
		return conf_why(why, whylen, SECRET_EXPECT);
	free(*dst);
	*dst = strdup(v);
	return *dst != NULL ? 0 : -2;
}

/*
 * The file must be a regular file that neither others may read nor the
 * group write (0600 or 0640, so root may own it with the service's group):
 * a secret anyone can read signs anyone's forgeries. One trailing newline
 * (an editor's) is not part of the secret.
 */
static int set_secret_file(void *t, const conf_key *k, const char *v, char *why, size_t whylen)
{
	callback_conf *c = t;
	char buf[SECRET_MAX + 3];
	struct stat st;
	ssize_t n;
	size_t len;
	int fd = open(v, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	(void)k;
	if (fd < 0)
		return conf_why(why, whylen, "cannot open '%s': %s", v, strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (st.st_mode & 0027) != 0) {
		close(fd);
		return conf_why(why, whylen, "'%s' must be a regular file that others cannot read and the group "
				"cannot write (chmod 0600 or 0640)", v);
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return conf_why(why, whylen, "cannot read '%s': %s", v, strerror(errno));
	len = (size_t)n;
	if (len > 0 && buf[len - 1] == '\n')
		len--;
	if (len > 0 && buf[len - 1] == '\r')
		len--;
	if (memchr(buf, '\0', len) != NULL || !secret_ok(buf, len))
		return conf_why(why, whylen, "'%s': " SECRET_EXPECT, v);
	free(c->secret);
	c->secret = strndup(buf, len);
	return c->secret != NULL ? 0 : -2;
}

static int set_ca_file(void *t, const conf_key *k, const char *v, char *why, size_t whylen)
{
	callback_conf *c = t;

	(void)k;
	if (access(v, R_OK) != 0)
		return conf_why(why, whylen, "cannot read '%s': %s", v, strerror(errno));
	free(c->ca_file);
	c->ca_file = strdup(v);
	return c->ca_file != NULL ? 0 : -2;
}

const conf_key callback_conf_keys[] = {
	CONF_FN("callback_allow", set_allow),
	{ "callback_secret", set_secret, offsetof(callback_conf, secret), 0, 0, 0, NULL, NULL },
	CONF_FN("callback_secret_file", set_secret_file),
	CONF_UINT("callback_retry_for", callback_conf, retry_for_s, 1, 7 * 86400,
		  "expected whole seconds between 1 and 604800"),
	CONF_UINT("callback_timeout", callback_conf, timeout_s, 1, 300, "expected whole seconds between 1 and 300"),
	CONF_FN("callback_ca_file", set_ca_file),
	CONF_KEYS_END
};

const conf_key callback_client_keys[] = {
	{ "callback_secret", set_secret, 0, 0, 0, 0, NULL, NULL },
	CONF_KEYS_END
};
