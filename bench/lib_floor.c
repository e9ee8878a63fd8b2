/*
 * lib_floor - the memory floor of ecs-fcgi's libraries: a program that
 * loads the shared objects ecs-fcgi needs (bench/mem.sh links it against
 * the same list, read from ecs-fcgi's NEEDED entries) and initialises them
 * as any program using them must (libcurl's global init, which brings up
 * OpenSSL; SQLite's; libfcgi's), then does nothing until a signal.
 * bench/mem.py measures it beside ecs-fcgi: what is left is ecs's own.
 */
#include <curl/curl.h>
#include <fcgiapp.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <unistd.h>

int main(void)
{
	sigset_t set;
	int sig = 0;

	if (curl_global_init(CURL_GLOBAL_ALL) != CURLE_OK || sqlite3_initialize() != SQLITE_OK || FCGX_Init() != 0) {
		fprintf(stderr, "lib_floor: a library's initialisation failed\n");
		return 1;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	printf("ready\n");
	fflush(stdout);
	sigwait(&set, &sig);
	curl_global_cleanup();
	return 0;
}
