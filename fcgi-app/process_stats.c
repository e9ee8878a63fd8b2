/* process_stats.c - this process's RSS, threads and fds from /proc/self (see process_stats.h). */
#include <config.h>

#include <dirent.h>
#include <stdio.h>
#include <string.h>

#include "process_stats.h"

void process_stats_read(process_stats *out)
{
	char line[256];
	FILE *f = fopen("/proc/self/status", "re");
	DIR *d;
	struct dirent *e;

	out->rss_bytes = -1;
	out->threads = -1;
	out->open_fds = -1;
	if (f != NULL) {
		long long kib;
		long n;

		while (fgets(line, sizeof(line), f) != NULL) {
			if (sscanf(line, "VmRSS: %lld kB", &kib) == 1)
				out->rss_bytes = kib * 1024;
			else if (sscanf(line, "Threads: %ld", &n) == 1)
				out->threads = n;
		}
		fclose(f);
	}
	d = opendir("/proc/self/fd");
	if (d != NULL) {
		long n = 0;

		while ((e = readdir(d)) != NULL)
			if (e->d_name[0] != '.')
				n++;
		/* less the descriptor this listing holds */
		out->open_fds = n > 0 ? n - 1 : 0;
		closedir(d);
	}
}
