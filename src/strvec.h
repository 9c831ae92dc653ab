/* strvec.h - growable NULL-terminated array of owned strings (git's strvec).
 *
 * Invariants: v is never NULL; v[nr] == NULL; every v[i] (i < nr) is a
 * string the strvec owns. strvec_detach() hands the array over.
 */
#ifndef SV_STRVEC_H
#define SV_STRVEC_H

#include <stddef.h>
#include "util.h"

struct strvec {
	const char **v;
	size_t nr;
	size_t alloc;
};

extern const char *strvec_empty[];
#define STRVEC_INIT { strvec_empty, 0, 0 }

void strvec_init(struct strvec *sv);
void strvec_push(struct strvec *sv, const char *s);
void strvec_push_nodup(struct strvec *sv, char *s);
void strvec_pushf(struct strvec *sv, const char *fmt, ...) ATTR_PRINTF(2, 3);
void strvec_pushl(struct strvec *sv, ...) __attribute__((sentinel));
void strvec_pushv(struct strvec *sv, const char *const *v);
/* Drop the last string (sv->nr > 0). */
void strvec_pop(struct strvec *sv);
void strvec_clear(struct strvec *sv);
const char **strvec_detach(struct strvec *sv);
/* Index of s in sv, or -1. */
long strvec_find(const struct strvec *sv, const char *s);

void cleanup_strvecp(struct strvec *sv);
#define cleanup_strvec __attribute__((cleanup(cleanup_strvecp)))

#endif
