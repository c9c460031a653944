/* curlshim.c - the libcurl functions http.c calls, each opening libcurl
 * with dlopen the first time one is called.
 *
 * Why: libcurl brings some thirty libraries of its own (two TLS stacks,
 * Kerberos, LDAP, SSH, IDN, ...), and the dynamic loader maps and relocates
 * all of them before main.  Every program that can read or write a URL
 * (rec-dedup, rec-pack and the rest, for s3:// and https:// arguments)
 * paid that on every start: 17 ms of rec-dedup's 25 ms to print its
 * version, and a serial stretch that no -j could shorten.  Only a run
 * that goes to the network pays it now.
 *
 * The programs are linked against these definitions, not against libcurl
 * (config.mk takes only its headers), and the executables do not export
 * them, so libcurl's calls inside itself still bind to its own.  Each
 * definition has curl.h's prototype, which the compiler holds it to; the
 * two variadic ones pass their one argument on by the type its option
 * number says, as libcurl reads it. */
#define CURL_DISABLE_TYPECHECK /* the type-checking macros would rename these definitions */
#include <curl/curl.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>

#include "base/die.h"

/* The soname of libcurl's ABI 4, the one curl.h describes since 7.16. */
#define LIBCURL "libcurl.so.4"

struct curl_fns {
	CURLcode (*global_init)(long);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
	void (*easy_reset)(CURL *);
	void (*easy_cleanup)(CURL *);
	CURLcode (*easy_pause)(CURL *, int);
	const char *(*easy_strerror)(CURLcode);
	CURLM *(*multi_init)(void);
	CURLMcode (*multi_add_handle)(CURLM *, CURL *);
	CURLMcode (*multi_remove_handle)(CURLM *, CURL *);
	CURLMcode (*multi_perform)(CURLM *, int *);
	CURLMcode (*multi_poll)(CURLM *, struct curl_waitfd[], unsigned, int, int *);
	CURLMsg *(*multi_info_read)(CURLM *, int *);
	CURLMcode (*multi_cleanup)(CURLM *);
	struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
	void (*slist_free_all)(struct curl_slist *);
	CURLU *(*url)(void);
	CURLUcode (*url_set)(CURLU *, CURLUPart, const char *, unsigned);
	CURLUcode (*url_get)(CURLU *, CURLUPart, char **, unsigned);
	void (*url_cleanup)(CURLU *);
	curl_mime *(*mime_init)(CURL *);
	curl_mimepart *(*mime_addpart)(curl_mime *);
	CURLcode (*mime_name)(curl_mimepart *, const char *);
	CURLcode (*mime_filedata)(curl_mimepart *, const char *);
	void (*mime_free)(curl_mime *);
	void (*free)(void *);
	time_t (*getdate)(const char *, const time_t *);
};

/* Filled once, by the first call on any thread, and only read after: the
 * process's one copy of libcurl, like libcurl's own global state. */
static struct curl_fns fns;
static pthread_once_t loaded = PTHREAD_ONCE_INIT;

static void *need(void *lib, const char *name)
{
	void *f = dlsym(lib, name);
	if (!f)
		die(STATUS_FAIL, "%s has no %s: reading or writing URLs needs libcurl 7.66 or later", LIBCURL, name);
	return f;
}

/* Each pointer from dlsym's void * as its own type: POSIX guarantees the
 * conversion, C leaves it to the platform, and these are the platforms
 * that have dlsym. */
#define LOAD(field, name) (*(void **)&fns.field = need(lib, name))

static void load(void)
{
	void *lib = dlopen(LIBCURL, RTLD_NOW | RTLD_LOCAL);
	if (!lib) {
		const char *why = dlerror();
		die(STATUS_FAIL, "%s cannot be loaded (%s): reading or writing URLs needs libcurl (Debian: libcurl4)",
		    LIBCURL, why ? why : "no reason given");
	}
	LOAD(global_init, "curl_global_init");
	LOAD(easy_init, "curl_easy_init");
	LOAD(easy_setopt, "curl_easy_setopt");
	LOAD(easy_getinfo, "curl_easy_getinfo");
	LOAD(easy_reset, "curl_easy_reset");
	LOAD(easy_cleanup, "curl_easy_cleanup");
	LOAD(easy_pause, "curl_easy_pause");
	LOAD(easy_strerror, "curl_easy_strerror");
	LOAD(multi_init, "curl_multi_init");
	LOAD(multi_add_handle, "curl_multi_add_handle");
	LOAD(multi_remove_handle, "curl_multi_remove_handle");
	LOAD(multi_perform, "curl_multi_perform");
	LOAD(multi_poll, "curl_multi_poll");
	LOAD(multi_info_read, "curl_multi_info_read");
	LOAD(multi_cleanup, "curl_multi_cleanup");
	LOAD(slist_append, "curl_slist_append");
	LOAD(slist_free_all, "curl_slist_free_all");
	LOAD(url, "curl_url");
	LOAD(url_set, "curl_url_set");
	LOAD(url_get, "curl_url_get");
	LOAD(url_cleanup, "curl_url_cleanup");
	LOAD(mime_init, "curl_mime_init");
	LOAD(mime_addpart, "curl_mime_addpart");
	LOAD(mime_name, "curl_mime_name");
	LOAD(mime_filedata, "curl_mime_filedata");
	LOAD(mime_free, "curl_mime_free");
	LOAD(free, "curl_free");
	LOAD(getdate, "curl_getdate");
}

static const struct curl_fns *curl(void)
{
	pthread_once(&loaded, load);
	return &fns;
}

CURLcode curl_global_init(long flags) { return curl()->global_init(flags); }
CURL *curl_easy_init(void) { return curl()->easy_init(); }
void curl_easy_reset(CURL *h) { curl()->easy_reset(h); }
void curl_easy_cleanup(CURL *h) { curl()->easy_cleanup(h); }
CURLcode curl_easy_pause(CURL *h, int bitmask) { return curl()->easy_pause(h, bitmask); }
const char *curl_easy_strerror(CURLcode code) { return curl()->easy_strerror(code); }

/* The option number's range says the argument's type (curl.h's
 * CURLOPTTYPE_*): long, object pointer, function pointer, curl_off_t, blob
 * pointer. */
CURLcode curl_easy_setopt(CURL *h, CURLoption option, ...)
{
	va_list ap;
	va_start(ap, option);
	CURLcode rc;
	if (option < CURLOPTTYPE_OBJECTPOINT)
		rc = curl()->easy_setopt(h, option, va_arg(ap, long));
	else if (option < CURLOPTTYPE_FUNCTIONPOINT)
		rc = curl()->easy_setopt(h, option, va_arg(ap, void *));
	else if (option < CURLOPTTYPE_OFF_T)
		rc = curl()->easy_setopt(h, option, va_arg(ap, void (*)(void)));
	else if (option < CURLOPTTYPE_BLOB)
		rc = curl()->easy_setopt(h, option, va_arg(ap, curl_off_t));
	else
		rc = curl()->easy_setopt(h, option, va_arg(ap, void *));
	va_end(ap);
	return rc;
}

/* Every CURLINFO_* takes a pointer to where the answer goes. */
CURLcode curl_easy_getinfo(CURL *h, CURLINFO info, ...)
{
	va_list ap;
	va_start(ap, info);
	CURLcode rc = curl()->easy_getinfo(h, info, va_arg(ap, void *));
	va_end(ap);
	return rc;
}

CURLM *curl_multi_init(void) { return curl()->multi_init(); }
CURLMcode curl_multi_add_handle(CURLM *m, CURL *h) { return curl()->multi_add_handle(m, h); }
CURLMcode curl_multi_remove_handle(CURLM *m, CURL *h) { return curl()->multi_remove_handle(m, h); }
CURLMcode curl_multi_perform(CURLM *m, int *running) { return curl()->multi_perform(m, running); }
CURLMcode curl_multi_poll(CURLM *m, struct curl_waitfd extra_fds[], unsigned int extra_nfds, int timeout_ms,
                          int *ret)
{
	return curl()->multi_poll(m, extra_fds, extra_nfds, timeout_ms, ret);
}
CURLMsg *curl_multi_info_read(CURLM *m, int *left) { return curl()->multi_info_read(m, left); }
CURLMcode curl_multi_cleanup(CURLM *m) { return curl()->multi_cleanup(m); }

struct curl_slist *curl_slist_append(struct curl_slist *list, const char *data)
{
	return curl()->slist_append(list, data);
}
void curl_slist_free_all(struct curl_slist *list) { curl()->slist_free_all(list); }

CURLU *curl_url(void) { return curl()->url(); }
CURLUcode curl_url_set(CURLU *u, CURLUPart what, const char *part, unsigned int flags)
{
	return curl()->url_set(u, what, part, flags);
}
CURLUcode curl_url_get(CURLU *u, CURLUPart what, char **part, unsigned int flags)
{
	return curl()->url_get(u, what, part, flags);
}
void curl_url_cleanup(CURLU *u) { curl()->url_cleanup(u); }

curl_mime *curl_mime_init(CURL *h) { return curl()->mime_init(h); }
curl_mimepart *curl_mime_addpart(curl_mime *mime) { return curl()->mime_addpart(mime); }
CURLcode curl_mime_name(curl_mimepart *part, const char *name) { return curl()->mime_name(part, name); }
CURLcode curl_mime_filedata(curl_mimepart *part, const char *path) { return curl()->mime_filedata(part, path); }
void curl_mime_free(curl_mime *mime) { curl()->mime_free(mime); }

void curl_free(void *p) { curl()->free(p); }
time_t curl_getdate(const char *p, const time_t *unused) { return curl()->getdate(p, unused); }
