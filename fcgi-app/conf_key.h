/*
 * conf_key.h - how a concern of ecs.conf (the service, limits, sandbox,
 * pool, registries, clients; store and sessions next) declares its keys:
 * a table of names, each with the function that reads its value into the
 * concern's own struct. Plain numbers, sizes and yes/no share the readers
 * below, described by the entry (member, bounds, message); anything else
 * has a reader of its own. config.c walks the tables of a section's
 * concerns; a key no table names is an unknown key.
 */
#ifndef ECSFCGI_CONF_KEY_H
#define ECSFCGI_CONF_KEY_H

#include <stddef.h>

typedef struct conf_key conf_key;

/**
 * conf_apply_fn - read @value (of @key) into @target, the concern's struct.
 * Returns 0, -1 a bad value (@why says what was expected), -2 out of memory.
 */
typedef int (*conf_apply_fn)(void *target, const conf_key *key, const char *value, char *why, size_t whylen);

struct conf_key {
	const char *name;      /* lower case, as ini.h hands keys over */
	conf_apply_fn apply;
	size_t offset;         /* the shared readers: the member in the target */
	size_t size;           /* its size (an int, unsigned int, long or size_t) */
	long long min, max;    /* conf_uint, conf_size: the bounds, inclusive */
	const char *expect;    /* the shared readers: what a bad value is told */
	const char *const *words; /* conf_word: the words, NULL-ended; a word's index is its value */
};

/** A whole number in MIN..MAX into the integer MEMBER of TYPE. */
#define CONF_UINT(name, type, member, min, max, expect) \
	{ name, conf_uint, offsetof(type, member), sizeof(((type *)0)->member), min, max, expect, NULL }
/** A size (value.h) in MIN..MAX bytes into MEMBER. */
#define CONF_SIZE(name, type, member, min, max, expect) \
	{ name, conf_size, offsetof(type, member), sizeof(((type *)0)->member), min, max, expect, NULL }
/** yes/no (value_parse_bool()) into the int MEMBER. */
#define CONF_BOOL(name, type, member) \
	{ name, conf_bool, offsetof(type, member), sizeof(((type *)0)->member), 0, 1, "expected yes or no", NULL }
/** One of WORDS (exactly, case and all) into the int or enum MEMBER, as its index. */
#define CONF_WORD(name, type, member, words, expect) \
	{ name, conf_word, offsetof(type, member), sizeof(((type *)0)->member), 0, 0, expect, words }
/** A key with a reader of its own. */
#define CONF_FN(name, fn) { name, fn, 0, 0, 0, 0, NULL, NULL }
/** The end of a table. */
#define CONF_KEYS_END { NULL, NULL, 0, 0, 0, 0, NULL, NULL }

/** conf_uint, conf_size, conf_bool, conf_word - the shared readers (see the macros above). */
int conf_uint(void *target, const conf_key *key, const char *value, char *why, size_t whylen);
int conf_size(void *target, const conf_key *key, const char *value, char *why, size_t whylen);
int conf_bool(void *target, const conf_key *key, const char *value, char *why, size_t whylen);
int conf_word(void *target, const conf_key *key, const char *value, char *why, size_t whylen);

/** conf_key_find - the entry of @keys (ended by CONF_KEYS_END) named @name, or NULL. */
const conf_key *conf_key_find(const conf_key *keys, const char *name);

/** conf_why - snprintf into @why; always -1, so a reader ends with `return conf_why(...)`. */
int conf_why(char *why, size_t whylen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
