/*
 * Unit tests of agent/tar.c: the header writer and the streaming parser
 * (what ecs-agent unpacks for PUT and libecs unpacks from GET).
 */
#include <config.h>

#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "tar.h"

typedef struct {
	unsigned char *p;
	size_t len, cap;
} growing;

static void put(growing *g, const void *data, size_t n)
{
	if (g->len + n > g->cap) {
		g->cap = (g->len + n) * 2 + 1024;
		g->p = realloc(g->p, g->cap);
		ck_assert_ptr_nonnull(g->p);
	}
	if (n > 0)
		memcpy(g->p + g->len, data, n);
	g->len += n;
}

static void add(growing *g, const char *name, unsigned type, unsigned mode, const void *data, size_t size,
		uint64_t real)
{
	ecs_tar_entry e = { .name = name, .type = type, .mode = mode, .size = size, .real_size = real ? real : size };
	unsigned char hdr[ECS_TAR_HEADER_MAX], zero[ECS_TAR_BLOCK] = { 0 };
	size_t n;

	ck_assert_int_eq(ecs_tar_header(hdr, sizeof(hdr), &n, &e), 0);
	ck_assert_uint_eq(n % ECS_TAR_BLOCK, 0);
	put(g, hdr, n);
	put(g, data, size);
	put(g, zero, ecs_tar_pad(size));
}

static void finish(growing *g)
{
	unsigned char zero[ECS_TAR_END_LEN] = { 0 };

	put(g, zero, sizeof(zero));
}

/* What a parse produced, flattened: "NAME type mode size real [content]\n" per entry. */
typedef struct {
	char text[16384];
	size_t text_len;
	int ends, rc, finish;
} parsed;

static void appendf(parsed *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void appendf(parsed *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	r->text_len += (size_t)vsnprintf(r->text + r->text_len, sizeof(r->text) - r->text_len, fmt, ap);
	va_end(ap);
}

static void parse_in(ecs_tar_parser *p, parsed *r, const unsigned char *b, size_t n)
{
	while (r->rc == 0) {
		ecs_tar_event ev;
		int rc = ecs_tar_parse(p, &b, &n, &ev);

		if (rc != 0) {
			r->rc = rc;
			return;
		}
		switch (ev.type) {
		case ECS_TAR_EV_NONE:
			ck_assert_uint_eq(n, 0);
			return;
		case ECS_TAR_EV_ENTRY:
			appendf(r, "%s %u %o %llu %llu [", ev.entry->name, ev.entry->type, ev.entry->mode,
				(unsigned long long)ev.entry->size, (unsigned long long)ev.entry->real_size);
			if (ev.entry->type == ECS_TAR_DIR)
				appendf(r, "]\n");
			break;
		case ECS_TAR_EV_DATA:
			appendf(r, "%.*s", (int)ev.len, (const char *)ev.data);
			break;
		case ECS_TAR_EV_FILE_END:
			appendf(r, "]\n");
			break;
		case ECS_TAR_EV_END:
			r->ends++;
			break;
		}
	}
}

static void parse_all(const unsigned char *b, size_t n, parsed *r, size_t step)
{
	ecs_tar_parser p;
	size_t off = 0;

	memset(r, 0, sizeof(*r));
	ecs_tar_parser_init(&p);
	if (step == 0)
		step = n ? n : 1;
	while (off < n && r->rc == 0) {
		size_t k = n - off < step ? n - off : step;

		parse_in(&p, r, b + off, k);
		off += k;
	}
	r->finish = ecs_tar_parse_finish(&p);
}

static char long_name[300];

static growing sample(void)
{
	growing g = { 0 };

	memset(long_name, 'n', sizeof(long_name) - 1);
	long_name[100] = '/';
	long_name[sizeof(long_name) - 1] = '\0';
	add(&g, "dir", ECS_TAR_DIR, 0755, NULL, 0, 0);
	add(&g, "dir/a", ECS_TAR_FILE, 04644, "hello", 5, 0);
	add(&g, "empty", ECS_TAR_FILE, 0600, NULL, 0, 0);
	add(&g, long_name, ECS_TAR_FILE, 0640, "x", 1, 0);
	add(&g, "cut", ECS_TAR_FILE, 0644, "abc", 3, 1000000);
	finish(&g);
	return g;
}

START_TEST(test_agent_tar_roundtrip)
{
	growing g = sample();
	parsed whole, bytewise;
	char want[1024];

	snprintf(want, sizeof(want),
		 "dir 2 755 0 0 []\ndir/a 1 644 5 5 [hello]\nempty 1 600 0 0 []\n%s 1 640 1 1 [x]\ncut 1 644 3 1000000 [abc]\n",
		 long_name);
	parse_all(g.p, g.len, &whole, 0);
	ck_assert_int_eq(whole.rc, 0);
	ck_assert_str_eq(whole.text, want);
	ck_assert_int_eq(whole.ends, 1);
	ck_assert_int_eq(whole.finish, 0);
	/* byte by byte: the same */
	parse_all(g.p, g.len, &bytewise, 1);
	ck_assert_int_eq(bytewise.rc, 0);
	ck_assert_str_eq(bytewise.text, want);
	ck_assert_int_eq(bytewise.finish, 0);
	/* one zero block is an end too (a "lone zero block"); none is not */
	parse_all(g.p, g.len - ECS_TAR_BLOCK, &whole, 0);
	ck_assert_int_eq(whole.finish, 0);
	parse_all(g.p, g.len - ECS_TAR_END_LEN, &whole, 0);
	ck_assert_int_eq(whole.rc, 0);
	ck_assert_int_eq(whole.finish, ECS_AGENT_EPROTO);
	/* cut anywhere inside: never finished */
	for (size_t cut = 1; cut < g.len - ECS_TAR_END_LEN; cut += 37) {
		parse_all(g.p, cut, &whole, 0);
		ck_assert_int_eq(whole.finish, ECS_AGENT_EPROTO);
	}
	free(g.p);
}
END_TEST

START_TEST(test_agent_tar_header_format)
{
	unsigned char h[ECS_TAR_HEADER_MAX];
	ecs_tar_entry e = { .name = "d/f", .type = ECS_TAR_FILE, .mode = 0755, .size = 10, .real_size = 10 };
	size_t n;

	ck_assert_int_eq(ecs_tar_header(h, sizeof(h), &n, &e), 0);
	ck_assert_uint_eq(n, ECS_TAR_BLOCK);
	ck_assert_str_eq((char *)h, "d/f");
	ck_assert_str_eq((char *)h + 100, "0000755");
	ck_assert_str_eq((char *)h + 124, "00000000012");
	ck_assert_int_eq(h[156], '0');
	ck_assert_mem_eq(h + 257, "ustar\00000", 8);
	/* a directory's name ends in '/' */
	e.name = "d", e.type = ECS_TAR_DIR, e.size = e.real_size = 0;
	ck_assert_int_eq(ecs_tar_header(h, sizeof(h), &n, &e), 0);
	ck_assert_str_eq((char *)h, "d/");
	ck_assert_int_eq(h[156], '5');
	/* a cut file: a pax header with ECS.size first */
	e.name = "f", e.type = ECS_TAR_FILE, e.size = 3, e.real_size = 12345;
	ck_assert_int_eq(ecs_tar_header(h, sizeof(h), &n, &e), 0);
	ck_assert_uint_eq(n, 3 * ECS_TAR_BLOCK);
	ck_assert_int_eq(h[156], 'x');
	ck_assert_str_eq((char *)h + ECS_TAR_BLOCK, "18 ECS.size=12345\n");
	ck_assert_uint_eq(ecs_tar_pad(0), 0);
	ck_assert_uint_eq(ecs_tar_pad(1), 511);
	ck_assert_uint_eq(ecs_tar_pad(512), 0);
	/* over ustar's 8 GiB: a pax size and a base-256 field */
	e.size = e.real_size = 1ULL << 33;
	ck_assert_int_eq(ecs_tar_header(h, sizeof(h), &n, &e), 0);
	ck_assert_str_eq((char *)h + ECS_TAR_BLOCK, "19 size=8589934592\n");
	ck_assert_int_eq(h[2 * ECS_TAR_BLOCK + 124], 0x80);
	{
		ecs_tar_parser p;
		ecs_tar_event ev;
		const unsigned char *b = h;
		size_t len = n;

		ecs_tar_parser_init(&p);
		ck_assert_int_eq(ecs_tar_parse(&p, &b, &len, &ev), 0);
		ck_assert_int_eq(ev.type, ECS_TAR_EV_ENTRY);
		ck_assert(ev.entry->size == 1ULL << 33);
	}
	/* room */
	e.size = e.real_size = 1;
	ck_assert_int_eq(ecs_tar_header(h, ECS_TAR_BLOCK - 1, &n, &e), ECS_AGENT_ETOOBIG);
}
END_TEST

START_TEST(test_agent_tar_writer_rejects)
{
	unsigned char h[ECS_TAR_HEADER_MAX];
	ecs_tar_entry e = { .name = "a", .type = ECS_TAR_FILE };
	const char *bad[] = { "", "/a", "a//b", "../a", "a/..", "a/./b", ".", "a//", NULL };
	size_t n;

	for (size_t i = 0; bad[i] != NULL; i++) {
		e.name = bad[i];
		ck_assert_msg(ecs_tar_header(h, sizeof(h), &n, &e) == ECS_AGENT_EINVAL, "%s", bad[i]);
	}
	e.name = "a/";
	ck_assert_int_eq(ecs_tar_header(h, sizeof(h), &n, &e), ECS_AGENT_EINVAL); /* a file named as a dir */
	e.name = "a", e.type = ECS_TAR_DIR, e.size = e.real_size = 1;
	ck_assert_int_eq(ecs_tar_header(h, sizeof(h), &n, &e), ECS_AGENT_EINVAL);
	e.type = 9, e.size = e.real_size = 0;
	ck_assert_int_eq(ecs_tar_header(h, sizeof(h), &n, &e), ECS_AGENT_EINVAL);
	e.type = ECS_TAR_FILE, e.size = 5, e.real_size = 4;
	ck_assert_int_eq(ecs_tar_header(h, sizeof(h), &n, &e), ECS_AGENT_EINVAL);
	ck_assert_int_eq(ecs_tar_name_ok("a/b/"), 1);
	ck_assert_int_eq(ecs_tar_name_ok("..a/b..c"), 1);
}
END_TEST

/* Rewrite the checksum of the header block at @h after an edit. */
static void resum(unsigned char *h)
{
	unsigned sum = 0;

	memset(h + 148, ' ', 8);
	for (int i = 0; i < ECS_TAR_BLOCK; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
	h[155] = ' ';
}

/* A one-entry archive whose header is edited by @edit, then parsed. */
static int parse_edited(void (*edit)(unsigned char *h))
{
	growing g = { 0 };
	parsed r;
	int rc;

	add(&g, "f", ECS_TAR_FILE, 0644, "data", 4, 0);
	finish(&g);
	edit(g.p);
	parse_all(g.p, g.len, &r, 0);
	rc = r.rc;
	free(g.p);
	return rc;
}

static void as_symlink(unsigned char *h) { h[156] = '2'; strcpy((char *)h + 157, "/etc"); resum(h); }
static void as_hardlink(unsigned char *h) { h[156] = '1'; strcpy((char *)h + 157, "/etc/passwd"); resum(h); }
static void as_chardev(unsigned char *h) { h[156] = '3'; resum(h); }
static void as_fifo(unsigned char *h) { h[156] = '6'; resum(h); }
static void as_global(unsigned char *h) { h[156] = 'g'; resum(h); }
static void bad_sum(unsigned char *h) { h[0] = 'g'; }
static void bad_magic(unsigned char *h) { memcpy(h + 257, "ustaR", 5); resum(h); }
static void dotdot(unsigned char *h) { strcpy((char *)h, "../../etc/x"); resum(h); }
static void inner_dotdot(unsigned char *h) { strcpy((char *)h, "a/../../x"); resum(h); }
static void absolute(unsigned char *h) { strcpy((char *)h, "/etc/x"); resum(h); }
static void empty_comp(unsigned char *h) { strcpy((char *)h, "a//x"); resum(h); }
static void empty_name(unsigned char *h) { h[0] = 0; resum(h); }
static void file_slash(unsigned char *h) { strcpy((char *)h, "f/"); resum(h); }
static void dir_size(unsigned char *h) { h[156] = '5'; resum(h); }
static void bad_size(unsigned char *h) { memcpy(h + 124, "0000000009x", 11); resum(h); }
static void prefix_escape(unsigned char *h) { strcpy((char *)h + 345, ".."); resum(h); }
static void ok_prefix(unsigned char *h) { strcpy((char *)h + 345, "p/q"); resum(h); }
static void ok_dotslash(unsigned char *h) { strcpy((char *)h, "./f"); resum(h); }
static void ok_gnu(unsigned char *h) { memcpy(h + 257, "ustar  \0", 8); resum(h); }
static void ok_oldfile(unsigned char *h) { h[156] = '\0'; resum(h); }

START_TEST(test_agent_tar_parser_rejects)
{
	void (*refused[])(unsigned char *) = { as_symlink, as_hardlink, as_chardev, as_fifo, as_global, bad_sum,
					       bad_magic, dotdot, inner_dotdot, absolute, empty_comp, empty_name,
					       file_slash, dir_size, bad_size, prefix_escape };
	void (*accepted[])(unsigned char *) = { ok_prefix, ok_dotslash, ok_gnu, ok_oldfile };

	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		ck_assert_msg(parse_edited(refused[i]) == ECS_AGENT_EPROTO, "refused[%zu]", i);
	for (size_t i = 0; i < sizeof(accepted) / sizeof(accepted[0]); i++)
		ck_assert_msg(parse_edited(accepted[i]) == 0, "accepted[%zu]", i);
}
END_TEST

START_TEST(test_agent_tar_parser_gnu_forms)
{
	/* what `tar -C DIR -cf - .` writes: "./" (skipped), "./sub/", "./a"; and a GNU long name ('L') */
	growing g = { 0 };
	unsigned char *h;
	parsed r;
	char name[200];

	add(&g, "x", ECS_TAR_DIR, 0755, NULL, 0, 0);
	strcpy((char *)g.p, "./");
	resum(g.p);
	add(&g, "x", ECS_TAR_DIR, 0700, NULL, 0, 0);
	strcpy((char *)g.p + ECS_TAR_BLOCK, "./sub/");
	resum(g.p + ECS_TAR_BLOCK);
	memset(name, 'L', sizeof(name));
	name[150] = '\0';
	add(&g, "y", ECS_TAR_FILE, 0644, name, 151, 0); /* becomes the 'L' header and its data */
	h = g.p + 2 * ECS_TAR_BLOCK;
	strcpy((char *)h, "././@LongLink");
	h[156] = 'L';
	resum(h);
	add(&g, "ignored", ECS_TAR_FILE, 0644, "ab", 2, 0);
	finish(&g);
	/* GNU pads a record with zeros after the end */
	for (int i = 0; i < 3; i++)
		finish(&g);
	parse_all(g.p, g.len, &r, 0);
	ck_assert_int_eq(r.rc, 0);
	snprintf(name + 150, sizeof(name) - 150, " 1 644 2 2 [ab]\n");
	ck_assert_str_eq(r.text, "sub 2 700 0 0 []\n" "LLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLL"
				 "LLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLL 1 644 2 2 [ab]\n");
	ck_assert_int_eq(r.finish, 0);
	/* something after the end that is not zero */
	g.p[g.len - 1] = 1;
	parse_all(g.p, g.len, &r, 0);
	ck_assert_int_eq(r.rc, ECS_AGENT_EPROTO);
	free(g.p);
}
END_TEST

START_TEST(test_agent_tar_parser_pax)
{
	/* a pax path naming "..", a malformed record, an extension with no entry, two extensions */
	growing g = { 0 };
	unsigned char hdr[ECS_TAR_HEADER_MAX];
	ecs_tar_entry e = { .name = "f", .type = ECS_TAR_FILE, .mode = 0644, .size = 1, .real_size = 9 };
	parsed r;
	size_t n;

	ck_assert_int_eq(ecs_tar_header(hdr, sizeof(hdr), &n, &e), 0);
	ck_assert_uint_eq(n, 3 * ECS_TAR_BLOCK);
	/* the records: "15 path=../x/y\n" (15 bytes) in place of ECS.size's */
	memset(hdr + ECS_TAR_BLOCK, 0, ECS_TAR_BLOCK);
	memcpy(hdr + ECS_TAR_BLOCK, "15 path=../x/y\n", 15);
	memcpy(hdr + 124, "00000000017", 11);
	resum(hdr);
	put(&g, hdr, n);
	put(&g, "z", 1);
	put(&g, (unsigned char[511]){ 0 }, 511);
	finish(&g);
	parse_all(g.p, g.len, &r, 0);
	ck_assert_int_eq(r.rc, ECS_AGENT_EPROTO);
	/* the same with a good path */
	memcpy(g.p + ECS_TAR_BLOCK, "15 path=ab/x/y\n", 15);
	parse_all(g.p, g.len, &r, 0);
	ck_assert_int_eq(r.rc, 0);
	ck_assert_str_eq(r.text, "ab/x/y 1 644 1 1 [z]\n");
	/* a record whose length lies */
	memcpy(g.p + ECS_TAR_BLOCK, "99 path=ab/x/y\n", 15);
	parse_all(g.p, g.len, &r, 0);
	ck_assert_int_eq(r.rc, ECS_AGENT_EPROTO);
	memcpy(g.p + ECS_TAR_BLOCK, "15 path=ab/x/y\n", 15);
	/* the extension followed by the end */
	memset(g.p + 2 * ECS_TAR_BLOCK, 0, ECS_TAR_BLOCK);
	parse_all(g.p, g.len, &r, 0);
	ck_assert_int_eq(r.rc, ECS_AGENT_EPROTO);
	free(g.p);
}
END_TEST

static Suite *tar_suite(void)
{
	Suite *s = suite_create("agent_tar");
	TCase *tc = tcase_create("agent_tar");

	tcase_add_test(tc, test_agent_tar_roundtrip);
	tcase_add_test(tc, test_agent_tar_header_format);
	tcase_add_test(tc, test_agent_tar_writer_rejects);
	tcase_add_test(tc, test_agent_tar_parser_rejects);
	tcase_add_test(tc, test_agent_tar_parser_gnu_forms);
	tcase_add_test(tc, test_agent_tar_parser_pax);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(tar_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
