#include "hash.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
tohex(const unsigned char *d, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 15];
	}
	out[2 * n] = '\0';
}

void
hash_sha256_hex(const void *buf, size_t len, char out[HASH_HEXLEN + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (!EVP_Digest(buf, len, md, &n, EVP_sha256(), NULL))
		ar_die(AR_EXIT_FAIL, "sha256 failed");
	tohex(md, n, out);
}

void
hash_prefixed_init(struct hash_prefixed *h, const void *prefix, size_t len)
{
	EVP_MD_CTX *b = EVP_MD_CTX_new(), *w = EVP_MD_CTX_new();

	if (b == NULL || w == NULL ||
	    !EVP_DigestInit_ex(b, EVP_sha256(), NULL) ||
	    !EVP_DigestUpdate(b, prefix, len))
		ar_die(AR_EXIT_FAIL, "sha256 failed");
	h->base = b;
	h->work = w;
}

void
hash_prefixed_hex(const struct hash_prefixed *h, const void *buf, size_t len,
    char out[HASH_HEXLEN + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (!EVP_MD_CTX_copy_ex(h->work, h->base) ||
	    !EVP_DigestUpdate(h->work, buf, len) ||
	    !EVP_DigestFinal_ex(h->work, md, &n))
		ar_die(AR_EXIT_FAIL, "sha256 failed");
	tohex(md, n, out);
}

void
hash_prefixed_release(struct hash_prefixed *h)
{
	EVP_MD_CTX_free(h->base);
	EVP_MD_CTX_free(h->work);
	h->base = h->work = NULL;
}

int
hash_file_sha256_hex(const char *path, char out[HASH_HEXLEN + 1],
    struct ar_err *err)
{
	unsigned char md[EVP_MAX_MD_SIZE], buf[65536];
	unsigned int n = 0;
	EVP_MD_CTX *ctx;
	FILE *f;
	size_t got;
	int bad;

	if ((f = fopen(path, "rb")) == NULL) {
		ar_errf(err, "cannot open '%s': %s", path, strerror(errno));
		return -1;
	}
	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL))
		ar_die(AR_EXIT_FAIL, "sha256 failed");
	while ((got = fread(buf, 1, sizeof(buf), f)) > 0)
		EVP_DigestUpdate(ctx, buf, got);
	bad = ferror(f);
	fclose(f);
	EVP_DigestFinal_ex(ctx, md, &n);
	EVP_MD_CTX_free(ctx);
	if (bad) {
		ar_errf(err, "cannot read '%s'", path);
		return -1;
	}
	tohex(md, n, out);
	return 0;
}

uint64_t
hash_fnv1a(const void *buf, size_t len)
{
	const unsigned char *p = buf;
	uint64_t h = 14695981039346656037ULL;

	while (len-- > 0) {
		h ^= *p++;
		h *= 1099511628211ULL;
	}
	return h;
}

uint64_t
hash_id_key(const char *id, size_t len)
{
	uint64_t v = 0;
	size_t i;

	if (len != 16)
		return hash_fnv1a(id, len);
	for (i = 0; i < 16; i++) {
		char c = id[i];

		if (c >= '0' && c <= '9')
			v = v << 4 | (uint64_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v = v << 4 | (uint64_t)(c - 'a' + 10);
		else
			return hash_fnv1a(id, len);
	}
	return v;
}

/* Mixes the key so that ids with common prefixes spread over the table. */
static size_t
slot_of(uint64_t key, size_t cap)
{
	key ^= key >> 33;
	key *= 0xff51afd7ed558ccdULL;
	key ^= key >> 33;
	return (size_t)key & (cap - 1);
}

static void
idset_put(uint64_t *slots, size_t cap, uint64_t key)
{
	size_t i = slot_of(key, cap);

	while (slots[i] != 0)
		i = (i + 1) & (cap - 1);
	slots[i] = key;
}

int
idset_has(const struct idset *s, uint64_t key)
{
	size_t i;

	if (key == 0)
		return s->has_zero;
	if (s->cap == 0)
		return 0;
	for (i = slot_of(key, s->cap); s->slots[i] != 0;
	    i = (i + 1) & (s->cap - 1))
		if (s->slots[i] == key)
			return 1;
	return 0;
}

int
idset_add(struct idset *s, uint64_t key)
{
	size_t i;

	if (idset_has(s, key))
		return 0;
	if (key == 0) {
		s->has_zero = 1;
		return 1;
	}
	/* Keep the load under one half so probes stay short. */
	if (2 * (s->n + 1) > s->cap) {
		size_t ncap = s->cap ? 2 * s->cap : 64;
		uint64_t *ns = ecalloc(ncap, sizeof(*ns));

		for (i = 0; i < s->cap; i++)
			if (s->slots[i] != 0)
				idset_put(ns, ncap, s->slots[i]);
		free(s->slots);
		s->slots = ns;
		s->cap = ncap;
	}
	idset_put(s->slots, s->cap, key);
	s->n++;
	return 1;
}

void
idset_release(struct idset *s)
{
	free(s->slots);
	memset(s, 0, sizeof(*s));
}

int
hash_is_hex(const char *s, size_t len)
{
	return s != NULL && strlen(s) == len &&
	    strspn(s, "0123456789abcdef") == len;
}
