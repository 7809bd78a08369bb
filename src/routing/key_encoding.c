/*
 * key_encoding.c: keys of databases whose encoding is not UTF-8.
 *
 * Design: the contract hashes the UTF-8 bytes of a key.  A UTF-8 database
 * hashes its text in place (the hot path, text_key_hash in routing.h); any other
 * encoding converts the key to UTF-8 first, except that a pure ASCII key is
 * the same bytes in every encoding PostgreSQL supports as a server encoding
 * and needs no conversion.  SQL_ASCII text has no known encoding, so its
 * keys cannot be given the engine's shard: refused (CREATE EXTENSION refuses
 * such a database too).
 */
#include "postgres.h"

#include "compat.h"

#include "routing/routing.h"

static bool
is_ascii(const char *data, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char) data[i] >= 0x80)
			return false;
	return true;
}

uint64
converted_key_hash(const char *data, size_t len)
{
	char	   *utf8;
	uint64		hash;

	if (GetDatabaseEncoding() == PG_SQL_ASCII)
		ereport(ERROR,
				errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				errmsg("cannot route keys in a database with encoding SQL_ASCII"),
				errdetail("The engine hashes the UTF-8 bytes of a key; SQL_ASCII text has no known encoding to convert from."),
				errhint("Use a database created with ENCODING 'UTF8' (or another real encoding)."));
	if (is_ascii(data, len))
		return key_hash(data, len);
	utf8 = pg_server_to_any(data, (int) len, PG_UTF8);
	hash = key_hash(utf8, utf8 == data ? len : strlen(utf8));
	if (utf8 != data)
		pfree(utf8);
	return hash;
}
