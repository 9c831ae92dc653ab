/* strmap.c - a hash map from strings to pointers (strmap.h). */
#include "strmap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

struct strmap_slot {
	char *key;   /* NULL: empty slot */
	void *val;
};

static struct strmap_slot *slot_of(const struct strmap *m, const char *key)
{
	size_t i = (size_t)hash_bytes(key, strlen(key)) & (m->cap - 1);

	while (m->slots[i].key && strcmp(m->slots[i].key, key) != 0)
		i = (i + 1) & (m->cap - 1);
	return &m->slots[i];
}

static void grow(struct strmap *m)
{
	struct strmap old = *m;
	size_t i;

	m->cap = old.cap ? old.cap * 2 : 64;
	if (m->cap > SIZE_MAX / sizeof(*m->slots))
		die("out of memory");
	m->slots = xcalloc(m->cap, sizeof(*m->slots));
	for (i = 0; i < old.cap; i++)
		if (old.slots[i].key)
			*slot_of(m, old.slots[i].key) = old.slots[i];
	free(old.slots);
}

void **strmap_get(const struct strmap *m, const char *key)
{
	struct strmap_slot *s;

	if (!m->cap)
		return NULL;
	s = slot_of(m, key);
	return s->key ? &s->val : NULL;
}

bool strmap_put(struct strmap *m, const char *key, void *val)
{
	struct strmap_slot *s;

	if ((m->nr + 1) * 2 > m->cap)
		grow(m);
	s = slot_of(m, key);
	if (s->key)
		return false;
	s->key = xstrdup(key);
	s->val = val;
	m->nr++;
	return true;
}

void strmap_clear(struct strmap *m, void (*free_val)(void *))
{
	size_t i;

	for (i = 0; i < m->cap; i++) {
		if (!m->slots[i].key)
			continue;
		free(m->slots[i].key);
		if (free_val)
			free_val(m->slots[i].val);
	}
	free(m->slots);
	m->slots = NULL;
	m->cap = m->nr = 0;
}
