/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>

#include "config/listen_addr.h"

#define LISTEN_PORT_MAX 65535

static int
not_loopback(const char *spec, struct ora_error *err)
{
	return ora_error_set(err,
	    "%s: \"%s\" is not a loopback address; orad identifies TCP callers through the "
	    "kernel only on loopback, so use 127.0.0.1 or [::1] (and the Unix socket for "
	    "anything else).",
	    ORA_LISTEN_SETTING, spec);
}

static int
malformed(const char *spec, struct ora_error *err)
{
	return ora_error_set(err,
	    "%s: \"%s\" is not a numeric address and port such as \"127.0.0.1:8391\" or "
	    "\"[::1]:8391\" (host names are not accepted).",
	    ORA_LISTEN_SETTING, spec);
}

int
ora_listen_addr_parse(
    const char *spec, struct sockaddr_storage *ss, socklen_t *len, struct ora_error *err)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *colon, *hs, *he;
	unsigned long port;
	int v6;

	memset(ss, 0, sizeof(*ss));
	if (spec == NULL || *spec == '\0')
		return ora_error_set(
		    err, "%s: an empty address is not allowed.", ORA_LISTEN_SETTING);
	v6 = spec[0] == '[';
	if (v6) {
		hs = spec + 1;
		he = strchr(hs, ']');
		if (he == NULL || he[1] != ':')
			return malformed(spec, err);
		colon = he + 1;
	} else {
		hs = spec;
		colon = strrchr(spec, ':');
		if (colon == NULL || memchr(spec, ':', (size_t)(colon - spec)) != NULL)
			return malformed(spec, err);
		he = colon;
	}
	if ((size_t)(he - hs) >= sizeof(host) || he == hs)
		return malformed(spec, err);
	memcpy(host, hs, (size_t)(he - hs));
	host[he - hs] = '\0';
	if (ora_parse_ulong(colon + 1, LISTEN_PORT_MAX, &port) != 0 || port == 0)
		return ora_error_set(
		    err, "%s: \"%s\" needs a port from 1 to 65535.", ORA_LISTEN_SETTING, spec);
	if (!v6) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		if (inet_pton(AF_INET, host, &s4->sin_addr) != 1)
			return malformed(spec, err);
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		*len = sizeof(*s4);
		if ((ntohl(s4->sin_addr.s_addr) >> 24) != IN_LOOPBACKNET)
			return not_loopback(spec, err);
		return 0;
	}
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	if (inet_pton(AF_INET6, host, &s6->sin6_addr) != 1)
		return malformed(spec, err);
	s6->sin6_family = AF_INET6;
	s6->sin6_port = htons((uint16_t)port);
	*len = sizeof(*s6);
	if (!IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr))
		return not_loopback(spec, err);
	return 0;
}
