/*
 * jsonschema.h - job params checked against a subset of JSON Schema, with defaults.
 *
 * A job type declares a schema for its params; the schema is compiled once, when the
 * type is registered (so a typo in it is caught there, not at the first submit), and
 * applied to every job's params: missing properties that declare a "default" are filled
 * in, then the params are validated and the first problem is reported as a JSON pointer
 * ("params/urls/3: must be a string").
 *
 * The subset (draft 2020-12 semantics where they differ from older drafts):
 *
 *   type                 "object", "array", "string", "integer", "number", "boolean",
 *                        "null", or a non-empty array of them; an integer is any number
 *                        with no fractional part (3.0 counts), a number is either
 *   properties           object of name -> schema
 *   required             array of unique property names
 *   additionalProperties true (the default), false, or a schema for the others
 *   items                a schema for every element of an array
 *   minItems maxItems    non-negative integers
 *   minLength maxLength  non-negative integers, counted in Unicode characters
 *   pattern              a POSIX extended regular expression (regcomp with
 *                        REG_EXTENDED | REG_NOSUB), NOT an ECMA-262 one: no \d, \w,
 *                        lookaround or lazy quantifiers; use [0-9], [[:alnum:]_] and so
 *                        on. Like ECMA, it matches anywhere in the string unless
 *                        anchored with ^ and $. Bracket expressions and '.' follow the
 *                        process's LC_CTYPE at compile time (bytes in the C locale).
 *                        Compiled once, when the schema is compiled.
 *   enum                 non-empty array of allowed values
 *   const                the one allowed value
 *   minimum maximum      numbers, inclusive
 *   exclusiveMinimum
 *   exclusiveMaximum     numbers, exclusive (the draft 4 boolean form is refused)
 *   default              a value for a missing property; it must itself satisfy its
 *                        schema (checked at compile time)
 *   format               any string; only "uri" is checked: an absolute http or https
 *                        URL (scheme http/https, "://", a non-empty host, no spaces or
 *                        control characters). Other formats are accepted and ignored.
 *   title description
 *   $comment             strings, ignored
 *
 * Any other keyword (including "$schema", "$ref", "oneOf", ...) is refused at compile
 * time. Equality for enum and const is JSON equality with 1 == 1.0. Numbers compare
 * exactly when both are integers, as doubles otherwise.
 *
 * A compiled schema is immutable: it may be applied from several threads at once.
 */
#ifndef KBJ_JSONSCHEMA_H
#define KBJ_JSONSCHEMA_H

#include <jansson.h>

#include "kbj.h"

/* The deepest nesting of schemas (the root is level 1). */
#define KBJ_JSONSCHEMA_MAX_DEPTH 32
/* The longest schema text, in bytes. */
#define KBJ_JSONSCHEMA_MAX_TEXT (1u << 20)
/* The longest "pattern", in bytes. */
#define KBJ_JSONSCHEMA_MAX_PATTERN 1024

typedef struct kbj_jsonschema kbj_jsonschema;

/*
 * Parses `schema_text` (a JSON object, at most KBJ_JSONSCHEMA_MAX_TEXT bytes, no
 * duplicate keys), checks every keyword and compiles its patterns; on success *out
 * receives the schema (free with kbj_jsonschema_free).
 *
 * Returns 0; KBJ_EINVAL for NULL arguments, text that is too long or not JSON, or a
 * schema that breaks the rules above, with a message naming the keyword and the JSON
 * pointer of the schema holding it:
 *   schema at /properties/urls: "minItems" must be a non-negative integer
 *   schema: unknown keyword "minitems"                      (at the root)
 * or KBJ_ENOMEM. On error *out is NULL (when out is not NULL).
 */
int kbj_jsonschema_compile(const char *schema_text, kbj_jsonschema **out, kbj_err *err);

/*
 * Fills in defaults and validates `params` in place. For every object the schema
 * describes (the root, a property, an element of an array, or an object a default
 * just created), each property missing from it whose schema has a "default" gets a copy
 * of that default; then the object is checked, the filled-in values included.
 *
 * Returns 0 when `params` conforms; KBJ_EINVAL for NULL arguments or the first problem
 * found, in a fixed order (type, enum, const; then for objects: required in the
 * schema's order, properties in the schema's order, other properties in the params'
 * order; for arrays: the counts, then each element in order), e.g.
 *   params: "list" is required
 *   params/urls/3: must be a string
 *   params/concurrency: must be at most 64
 *   params/mode: must be one of "compatible", "bulk"
 * Keys in the pointer are escaped as RFC 6901 says ("a/b" is "a~1b"), and a very long
 * pointer is cut and ends in "...". KBJ_ENOMEM when a default cannot be copied.
 * On error `params` may already hold some of the defaults.
 */
int kbj_jsonschema_apply(const kbj_jsonschema *s, json_t *params, kbj_err *err);

/* Frees a compiled schema and its patterns. Accepts NULL. */
void kbj_jsonschema_free(kbj_jsonschema *s);

#endif
