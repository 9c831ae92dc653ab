/* strmap.c - a hash map from strings to pointers (strmap.h). */
#include "strmap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

struct strmap_slot {
	char *key;   /* NULL: empty slot */
	void *val;
	uint64_t hash;
};

/* Eight bytes at a time: the maps hold paths, tens of bytes each, and a
 * launch looks up thousands. Not against an adversary (strmap.h). */
static uint64_t key_hash(const char *key)
{
	const uint64_t k = 0x9e3779b97f4a7c15ULL;
	size_t n = strlen(key);
	uint64_t h = n * k, w;

	for (; n >= 8; n -= 8, key += 8) {
		memcpy(&w, key, 8);
		h = (h ^ w) * k;
		h ^= h >> 29;
	}
	w = 0;
	memcpy(&w, key, n);
	h = (h ^ w) * k;
	return h ^ h >> 32;
}

static struct strmap_slot *slot_at(const struct strmap *m, const char *key, uint64_t hash)
{
	size_t i = (size_t)hash & (m->cap - 1);

	while (m->slots[i].key && (m->slots[i].hash != hash || strcmp(m->slots[i].key, key)))
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
			*slot_at(m, old.slots[i].key, old.slots[i].hash) = old.slots[i];
	free(old.slots);
}

void **strmap_get(const struct strmap *m, const char *key)
{
	struct strmap_slot *s;

	if (!m->cap)
		return NULL;
	s = slot_at(m, key, key_hash(key));
	return s->key ? &s->val : NULL;
}

bool strmap_put(struct strmap *m, const char *key, void *val)
{
	uint64_t hash = key_hash(key);
	struct strmap_slot *s;

	if ((m->nr + 1) * 2 > m->cap)
		grow(m);
	s = slot_at(m, key, hash);
	if (s->key)
		return false;
	s->key = xstrdup(key);
	s->val = val;
	s->hash = hash;
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
