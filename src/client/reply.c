/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * reply.c: a non-streamed chat completion, parsed into struct ora_reply.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/internal.h"
#include "client/json.h"

void
ora_reply_free(struct ora_reply *reply)
{
	if (reply == NULL)
		return;
	free(reply->text);
	free(reply->model);
	free(reply->id);
	free(reply->finish_reason);
	free(reply);
}

static enum ora_status
fail(char *msg, size_t msg_size, enum ora_status status, const char *text)
{
	oc_copy_message(msg, msg_size, text);
	return status;
}

/* A 200 can still carry a failure: a top-level error, or a choice that
 * reports one with finish_reason "error". */
static const char *
reported_error(struct json_object *root, struct json_object *choice)
{
	struct json_object *error;
	const char *msg, *finish;

	error = oc_json_get(root, "error", json_type_object);
	if (error == NULL)
		error = oc_json_get(choice, "error", json_type_object);
	finish = oc_json_str(choice, "finish_reason");
	if (error == NULL && (finish == NULL || strcmp(finish, "error") != 0))
		return NULL;
	msg = oc_json_str(error, "message");
	return msg != NULL && *msg != '\0' ? msg : "the model failed to answer";
}

enum ora_status
oc_parse_completion(
    const char *body, size_t len, struct ora_reply **out, char *msg, size_t msg_size)
{
	struct json_object *root, *choices, *choice = NULL, *message;
	struct ora_reply *r = NULL;
	enum ora_status status = ORA_OK;
	const char *failure, *content;

	*out = NULL;
	if ((root = oc_json_parse(body, len)) == NULL ||
	    !json_object_is_type(root, json_type_object)) {
		json_object_put(root);
		return fail(msg, msg_size, ORA_E_PROTOCOL,
		    "the broker's answer is not a JSON chat completion");
	}
	if ((choices = oc_json_get(root, "choices", json_type_array)) != NULL &&
	    json_object_array_length(choices) > 0)
		choice = json_object_array_get_idx(choices, 0);
	if ((failure = reported_error(root, choice)) != NULL) {
		status = fail(msg, msg_size, ORA_E_UPSTREAM, failure);
		goto out;
	}
	if (choice == NULL) {
		status = fail(msg, msg_size, ORA_E_PROTOCOL, "the broker's answer has no choices");
		goto out;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL)
		goto nomem;
	r->usage.prompt_tokens = r->usage.completion_tokens = r->usage.total_tokens = -1;
	message = oc_json_get(choice, "message", json_type_object);
	content = oc_json_str(message, "content"); /* null when the model said nothing */
	if ((r->text = strdup(content != NULL ? content : "")) == NULL)
		goto nomem;
	if (oc_json_dup(root, "model", &r->model) != ORA_OK ||
	    oc_json_dup(root, "id", &r->id) != ORA_OK ||
	    oc_json_dup(choice, "finish_reason", &r->finish_reason) != ORA_OK)
		goto nomem;
	oc_json_usage(root, &r->usage);
	*out = r;
	r = NULL;
	goto out;
nomem:
	status = fail(msg, msg_size, ORA_E_NOMEM, "out of memory");
out:
	ora_reply_free(r);
	json_object_put(root);
	return status;
}
