// The HTTP/1.1 message parsers in one include, for the session that wires them to sockets:
// request and response heads, their header fields, and where a head ends.
#pragma once

#include "lb/http/head.h"           // IWYU pragma: export
#include "lb/http/header_fields.h"  // IWYU pragma: export
#include "lb/http/request_head.h"   // IWYU pragma: export
#include "lb/http/response_head.h"  // IWYU pragma: export
