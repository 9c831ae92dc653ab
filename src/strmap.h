/* strmap.h - a hash map from strings to pointers.
 *
 * Open addressing with linear probing, at most half full; a multiply-xor
 * hash, eight bytes at a time, kept with each key.
 * Keys are copied and owned by the map; values are the caller's (freed by
 * strmap_clear's free_val when given). A zeroed struct (STRMAP_INIT) is an
 * empty map.
 */
#ifndef SV_STRMAP_H
#define SV_STRMAP_H

#include <stdbool.h>
#include <stddef.h>

struct strmap_slot;
struct strmap {
	struct strmap_slot *slots;
	size_t cap;
	size_t nr;
};

#define STRMAP_INIT { NULL, 0, 0 }

/* The value slot for key, or NULL when key is absent. */
void **strmap_get(const struct strmap *m, const char *key);
/* Insert key (copied) with val. Returns false when key was present (its
 * value unchanged). */
bool strmap_put(struct strmap *m, const char *key, void *val);
/* Empty the map, calling free_val (when not NULL) on every value. */
void strmap_clear(struct strmap *m, void (*free_val)(void *));

#endif
