/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * ora-example: the smallest useful program on libora-client.
 *
 *   cc ora-example.c $(pkg-config --cflags --libs ora-client) -o ora-example
 *   ./ora-example "What is the capital of France?"
 *
 * It asks who the broker thinks you are, then streams an answer to stdout
 * and prints the tokens and cost. No API key anywhere: the broker knows you
 * by your Unix user.
 */
#include <stdio.h>
#include <stdlib.h>

#include <ora/client.h>

static int
print_piece(void *arg, const char *text, size_t len)
{
	(void)arg; /* what ora_client_chat_stream() was given; unused here */
	fwrite(text, 1, len, stdout);
	fflush(stdout);
	return 0; /* non-zero would stop the answer (and the spending) here */
}

static int
fail(struct ora_client *c, enum ora_status status)
{
	/* The broker's own sentence, e.g. whom to ask for access. */
	fprintf(stderr, "ora-example: %s (%s)\n", ora_client_last_error(c), ora_status_str(status));
	ora_client_close(c);
	return EXIT_FAILURE;
}

int
main(int argc, char **argv)
{
	struct ora_client *c;
	struct ora_request *req;
	struct ora_reply *reply;
	struct ora_me *me;
	enum ora_status r;

	if (argc != 2) {
		fprintf(stderr, "usage: ora-example QUESTION\n");
		return 2;
	}
	/* NULL: $ORA_SOCKET, else /run/ora/ora.sock. */
	if ((r = ora_client_open(NULL, &c)) != ORA_OK) {
		fprintf(stderr, "ora-example: %s\n", ora_status_str(r));
		return EXIT_FAILURE;
	}
	if ((r = ora_client_me(c, &me)) != ORA_OK)
		return fail(c, r);
	fprintf(stderr, "asking as %s (role %s, default model %s)\n", me->user ? me->user : "?",
	    me->role ? me->role : "?", me->default_model ? me->default_model : "?");
	ora_me_free(me);

	if ((req = ora_request_new()) == NULL ||
	    ora_request_set_system(req, "Answer in one sentence.") != ORA_OK ||
	    ora_request_add_message(req, "user", argv[1]) != ORA_OK) {
		ora_request_free(req);
		ora_client_close(c);
		return EXIT_FAILURE;
	}
	r = ora_client_chat_stream(c, req, print_piece, NULL, NULL, &reply);
	ora_request_free(req);
	if (r != ORA_OK)
		return fail(c, r);
	printf("\n");
	fprintf(stderr, "%s: %ld tokens, $%.7f\n", reply->model ? reply->model : "?",
	    reply->usage.total_tokens, reply->usage.has_cost ? reply->usage.cost : 0.0);
	ora_reply_free(reply);
	ora_client_close(c);
	return EXIT_SUCCESS;
}
