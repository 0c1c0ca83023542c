// SPDX-License-Identifier: GPL-2.0
/*
 * A tiny client of the rvnet family on the C library that the kernel's
 * ynl-gen-c.py generates from Documentation/netlink/specs/rvnet.yaml
 * (tools/ynl-c/build): asks route-get for one IPv4 or IPv6 destination
 * and prints the answer's type, table, output device and source, then
 * the rvnet devices of the namespace (dev-get dump).
 *
 *   rvnet_route_get DST
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include <ynl.h>
#include "rvnet-user.h"

int main(int argc, char **argv)
{
	struct rvnet_route_get_req *req;
	struct rvnet_route_get_rsp *rsp;
	struct rvnet_dev_get_list *devs;
	struct ynl_error yerr;
	unsigned char addr[16];
	char buf[INET6_ADDRSTRLEN];
	struct ynl_sock *ys;
	size_t len;

	if (argc != 2) {
		fprintf(stderr, "usage: %s DST\n", argv[0]);
		return 255;
	}
	if (inet_pton(AF_INET, argv[1], addr) == 1) {
		len = 4;
	} else if (inet_pton(AF_INET6, argv[1], addr) == 1) {
		len = 16;
	} else {
		fprintf(stderr, "not an address: %s\n", argv[1]);
		return 1;
	}

	ys = ynl_sock_create(&ynl_rvnet_family, &yerr);
	if (!ys) {
		fprintf(stderr, "ynl: %s\n", yerr.msg);
		return 1;
	}
	req = rvnet_route_get_req_alloc();
	rvnet_route_get_req_set_dst(req, addr, len);
	rsp = rvnet_route_get(ys, req);
	rvnet_route_get_req_free(req);
	if (!rsp) {
		fprintf(stderr, "route-get: %s\n", ys->err.msg);
		ynl_sock_destroy(ys);
		return 2;
	}
	printf("type %u", rsp->type);
	if (rsp->_present.table)
		printf(" table %u", rsp->table);
	if (rsp->oif_name)
		printf(" dev %s", rsp->oif_name);
	if (rsp->prefsrc && inet_ntop(len == 4 ? AF_INET : AF_INET6, rsp->prefsrc,
				      buf, sizeof(buf)))
		printf(" src %s", buf);
	printf("\n");
	rvnet_route_get_rsp_free(rsp);

	devs = rvnet_dev_get_dump(ys);
	if (!devs) {
		fprintf(stderr, "dev-get: %s\n", ys->err.msg);
		ynl_sock_destroy(ys);
		return 2;
	}
	ynl_dump_foreach(devs, d)
		printf("rvnet dev %u sample %u\n", d->ifindex, d->sample);
	rvnet_dev_get_list_free(devs);
	ynl_sock_destroy(ys);
	return 0;
}
