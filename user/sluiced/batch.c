// SPDX-License-Identifier: GPL-2.0-only
/*
 * batch.c - a partly refused batch's one answer (see batch.h).
 *
 * The backend's answers are copied as it wrote them (jpos_raw), never
 * printed again from a cJSON tree: an integer id past 2^53 or a number in
 * a result would otherwise come back as the double cJSON parsed it to.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>

#include "base/jarena.h"
#include "base/jpos.h"
#include "proto/inspect.h"
#include "batch.h"

int batch_add(struct batch_answers *ba, const char *rid, const char *answer)
{
	struct batch_slot *v = realloc(ba->v, (ba->n + 1) * sizeof(*v));
	struct batch_slot *s;

	if (!v)
		return -ENOMEM;
	ba->v = v;
	s = &v[ba->n];
	s->rid = strdup(rid);
	s->answer = answer ? strdup(answer) : NULL;
	if (!s->rid || (answer && !s->answer)) {
		free(s->rid);
		free(s->answer);
		return -ENOMEM;
	}
	ba->n++;
	ba->n_answers += answer != NULL;
	return 0;
}

void batch_free(struct batch_answers *ba)
{
	for (size_t i = 0; i < ba->n; i++) {
		free(ba->v[i].rid);
		free(ba->v[i].answer);
	}
	free(ba->v);
	memset(ba, 0, sizeof(*ba));
}

/* --- the backend's answers, as it wrote them --------------------------------------- */

struct backend_answer {
	const char *text;	/* into the backend's body */
	size_t len;
	char *rid;		/* a response's id as JSON text (cJSON memory), or NULL */
	bool used;
};

struct backend_answers {
	struct backend_answer *v;
	size_t n;
};

/* Only a response answers a request: a request of the server may carry
 * any id. */
static char *response_id(const cJSON *o)
{
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(o, "id");

	if (!cJSON_GetObjectItemCaseSensitive(o, "result") &&
	    !cJSON_GetObjectItemCaseSensitive(o, "error"))
		return NULL;
	return cJSON_IsString(id) || cJSON_IsNumber(id) ? mcp_id_json(id) : NULL;
}

/* Splits @root (a response or an array of them) into its elements' texts. */
static int split_backend(const struct jpos *jp, const cJSON *root, struct backend_answers *bk)
{
	const cJSON *el = cJSON_IsArray(root) ? root->child : root;
	size_t n = cJSON_IsArray(root) ? (size_t)cJSON_GetArraySize(root) : 1;

	bk->v = calloc(n ? n : 1, sizeof(*bk->v));
	if (!bk->v)
		return -ENOMEM;
	for (; el && bk->n < n; el = el->next) {
		struct backend_answer *a = &bk->v[bk->n++];

		a->text = jpos_raw(jp, el, &a->len);
		if (!a->text)	/* positions unknown: never guessed */
			return -EINVAL;
		a->rid = response_id(el);
	}
	return 0;
}

/* The first unused backend answer to @rid, used up; NULL: none. */
static const struct backend_answer *take(struct backend_answers *bk, const char *rid)
{
	for (size_t i = 0; i < bk->n; i++)
		if (!bk->v[i].used && bk->v[i].rid && !strcmp(bk->v[i].rid, rid)) {
			bk->v[i].used = true;
			return &bk->v[i];
		}
	return NULL;
}

static int put_element(struct buf *out, const char *text, size_t len)
{
	if (out->len > 1 && buf_append(out, ",", 1))
		return -ENOMEM;
	return buf_append(out, text, len);
}

static int put_missing(struct buf *out, const char *rid, int code, const char *message,
		       unsigned int retry_after_s)
{
	char *text = inspect_error_json(rid, code, message, retry_after_s);
	int err = text ? put_element(out, text, strlen(text)) : -ENOMEM;

	free(text);
	return err;
}

static int merge_into(struct buf *out, const struct batch_answers *ba,
		      struct backend_answers *bk, int code, const char *message,
		      unsigned int retry_after_s)
{
	const struct backend_answer *a;
	int err = buf_append(out, "[", 1);

	for (size_t i = 0; i < ba->n && !err; i++) {
		const struct batch_slot *s = &ba->v[i];

		if (s->answer)
			err = put_element(out, s->answer, strlen(s->answer));
		else if ((a = take(bk, s->rid)))
			err = put_element(out, a->text, a->len);
		else if (message)
			err = put_missing(out, s->rid, code, message, retry_after_s);
	}
	for (size_t i = 0; i < bk->n && !err; i++)
		if (!bk->v[i].used)
			err = put_element(out, bk->v[i].text, bk->v[i].len);
	return err ? err : buf_append(out, "]", 1);
}

char *batch_merge(const struct batch_answers *ba, const char *backend, size_t len, int code,
		  const char *message, unsigned int retry_after_s)
{
	struct backend_answers bk = {};
	struct jpos *jp = NULL;
	struct jpos_error jerr;
	struct buf out = {};
	cJSON *root = NULL;
	int err = 0;

	jarena_begin();
	if (backend) {
		jp = jpos_new(backend, len);
		err = jp ? jpos_parse(jp, &root, &jerr) : -ENOMEM;
		if (!err)
			err = split_backend(jp, root, &bk);
	}
	if (!err)
		err = merge_into(&out, ba, &bk, code, message, retry_after_s);
	/* A big answer's tree spills out of the arena to malloc: free it all. */
	for (size_t i = 0; i < bk.n; i++)
		cJSON_free(bk.v[i].rid);
	free(bk.v);
	cJSON_Delete(root);
	jpos_free(jp);
	jarena_end();
	if (err)
		buf_free(&out);
	return err ? NULL : out.data;
}

int batch_put_events(const struct batch_answers *ba, struct buf *out)
{
	int err = 0;

	for (size_t i = 0; i < ba->n && !err; i++)
		if (ba->v[i].answer)
			err = buf_printf(out, "data: %s\n\n", ba->v[i].answer);
	return err;
}
