/*
 * hash: content hashes (SHA-256 through OpenSSL's libcrypto) for ids and
 * the build cache, and a set of 64-bit ids for "seen already" checks.
 *
 * Ownership: an idset is initialised with {0} and released with
 * idset_release.
 */
#ifndef AR_HASH_H
#define AR_HASH_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define HASH_HEXLEN 64

/* SHA-256 of buf as 64 lowercase hex digits and a NUL. */
void hash_sha256_hex(const void *buf, size_t len, char out[HASH_HEXLEN + 1]);
/* SHA-256 of a file's contents; 0, or -1 with err set. */
int hash_file_sha256_hex(const char *path, char out[HASH_HEXLEN + 1],
    struct ar_err *err);

/*
 * SHA-256 of a fixed prefix followed by a varying part, for many hashes
 * that share the prefix (the ids of a space): the prefix is absorbed
 * once.  Ownership: init, then release.
 */
struct hash_prefixed {
	void *base;	/* EVP_MD_CTX with the prefix absorbed */
	void *work;	/* EVP_MD_CTX, scratch */
};
void hash_prefixed_init(struct hash_prefixed *h, const void *prefix,
    size_t len);
/* SHA-256 of the prefix and then buf, as 64 hex digits and a NUL. */
void hash_prefixed_hex(const struct hash_prefixed *h, const void *buf,
    size_t len, char out[HASH_HEXLEN + 1]);
void hash_prefixed_release(struct hash_prefixed *h);

/*
 * Whether s (NULL allowed: no) is exactly len lowercase hex digits, as a
 * SHA-256 (HASH_HEXLEN) or a record id (16) is written.
 */
int hash_is_hex(const char *s, size_t len);

/* FNV-1a, for hash tables (not for anything that must resist collisions). */
uint64_t hash_fnv1a(const void *buf, size_t len);

/*
 * A record id as a 64-bit key: an id of 16 hex digits (what ar-propose
 * writes) is its own value; any other string is hashed.
 */
uint64_t hash_id_key(const char *id, size_t len);

struct idset {
	uint64_t *slots;	/* 0 marks an empty slot */
	size_t cap, n;
	int has_zero;		/* the key 0 lives here, not in slots */
};
/* Returns 1 if key was added, 0 if it was there already. */
int idset_add(struct idset *s, uint64_t key);
int idset_has(const struct idset *s, uint64_t key);
void idset_release(struct idset *s);

#endif
