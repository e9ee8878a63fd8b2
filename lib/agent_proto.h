/*
 * Private: the ecs-agent protocol (agent/proto.h) as libecs includes it.
 * proto.c is built once, in the ground floor both libecs and the static
 * ecs-agent link (lib/Makefile.am); the agent knows no libecs header, so
 * its error values are written there by number. libecs returns them as
 * they are: the compiler holds them equal to the ECS_E* of the same meaning.
 */
#ifndef ECS_AGENT_PROTO_H_LIB
#define ECS_AGENT_PROTO_H_LIB

#include <ecs/common.h>
#include "proto.h"

_Static_assert(ECS_AGENT_ENOMEM == ECS_ENOMEM, "agent/proto.h: ECS_AGENT_ENOMEM must equal ECS_ENOMEM");
_Static_assert(ECS_AGENT_EINVAL == ECS_EINVAL, "agent/proto.h: ECS_AGENT_EINVAL must equal ECS_EINVAL");
_Static_assert(ECS_AGENT_EPROTO == ECS_EPROTO, "agent/proto.h: ECS_AGENT_EPROTO must equal ECS_EPROTO");
_Static_assert(ECS_AGENT_ETOOBIG == ECS_ETOOBIG, "agent/proto.h: ECS_AGENT_ETOOBIG must equal ECS_ETOOBIG");

#endif
