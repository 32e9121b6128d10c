vcl 4.1;

# edgepurge.vcl: the Varnish side of an edgepurge deploy.
#
#   PURGE <path>                    evict one URL on the request's Host       -> 200
#   PURGE <path> + X-Purge-Soft: 1  mark it stale instead (soft purge)        -> 200, count
#   PURGE + xkey-purge: <tags...>   evict every object tagged by the origin   -> 200, count
#   PURGE + xkey-softpurge: <tags>  mark them stale instead (soft purge)      -> 200, count
#   BAN   + X-Ban-Path: <prefix>    evict every URL under <prefix> on Host    -> 200
#
# A soft purge sets the object's TTL to 0 and keeps its grace and keep: the
# next request gets the stale copy while Varnish revalidates it in the
# background with the stored ETag / Last-Modified. Safe only where the origin's
# validator changed with the bytes: otherwise the origin answers 304 and the
# old bytes live on (edgepurge's purge.mode "auto" purges those hard).
#
# Only clients in the "purgers" ACL may send these; anyone else gets 405.
# Everything else is Varnish's built-in behaviour (builtin.vcl runs after each
# subroutine below that does not return): 2xx responses are cached for
# default_ttl unless Cache-Control says otherwise, conditional requests are
# answered from cache (304 when the cached ETag matches If-None-Match), and
# expired objects are revalidated with the stored ETag / Last-Modified.
# See README.md in this folder.

import std;
import xkey;
import purge;

# Set your origin here. (edgepurge's end-to-end tests substitute the port.)
backend default {
    .host = "127.0.0.1";
    .port = "8080";
}

# Who may PURGE and BAN (matched against client.ip: the TCP peer, or the
# client named by the PROXY protocol). Add your deploy host (the machine that
# runs edgepurge), e.g. "203.0.113.10"; or a network, "10.0.0.0"/8;
acl purgers {
    "localhost";
    "127.0.0.1";
    "::1";
}

sub vcl_recv {
    # Internal headers are ours alone.
    unset req.http.x-edgepurge-count;
    unset req.http.x-edgepurge-prefix;
    unset req.http.x-edgepurge-soft;
    if (req.method == "PURGE" || req.method == "BAN") {
        if (client.ip !~ purgers) {
            return (synth(405, "Not allowed"));
        }
        # The public Host is part of the cache key (builtin vcl_hash), so
        # PURGE and BAN act on the Host the request carries.
        if (!req.http.host || req.http.host !~ "^[!-~]+$" || req.http.host ~ "[\x22\x5c]") {
            return (synth(400, "Missing or invalid Host"));
        }
        if (req.method == "BAN") {
            call edgepurge_ban;
        }
        if (req.http.xkey-softpurge) {
            # Soft: the tagged objects go stale but stay for grace and revalidation.
            set req.http.x-edgepurge-count = xkey.softpurge(req.http.xkey-softpurge);
            return (synth(200, "Soft-invalidated " + req.http.x-edgepurge-count + " objects"));
        }
        if (req.http.xkey-purge) {
            # Tags are global: one tag evicts matching objects on every Host.
            set req.http.x-edgepurge-count = xkey.purge(req.http.xkey-purge);
            return (synth(200, "Invalidated " + req.http.x-edgepurge-count + " objects"));
        }
        if (req.http.X-Purge-Soft == "1") {
            # Look the object up; vcl_hit / vcl_miss mark every variant stale.
            return (hash);
        }
        return (purge);
    }
}

# vmod purge can only act from vcl_hit and vcl_miss, and both are needed so
# that every variant of the URL (Vary) is reached.
sub vcl_hit {
    if (req.method == "PURGE") {
        call edgepurge_soft;
    }
}

sub vcl_miss {
    if (req.method == "PURGE") {
        call edgepurge_soft;
    }
}

# TTL 0, grace and keep left as they are (purge.soft's defaults).
sub edgepurge_soft {
    set req.http.x-edgepurge-soft = purge.soft(0s);
    return (synth(200, "Soft-purged " + req.http.x-edgepurge-soft + " objects"));
}

# Ban by path prefix on one Host. The ban only tests obj.* fields, so the ban
# lurker can evict matching objects in the background instead of keeping the
# ban around until each object is next requested.
sub edgepurge_ban {
    if (!req.http.X-Ban-Path) {
        return (synth(400, "BAN needs an X-Ban-Path header"));
    }
    # A path prefix: printable ASCII, no space. Refuse the characters a URL
    # path never holds unencoded and that could escape the expression below:
    # '"' ends the quoted ban argument, '\' and '^' cannot be neutralised by
    # a bracket expression.
    if (req.http.X-Ban-Path !~ "^/[!-~]*$" || req.http.X-Ban-Path ~ "[\x22\x5c^]") {
        return (synth(400, "X-Ban-Path must be a path starting with /"));
    }
    # A ban can only match with a regex (~), so make the prefix literal by
    # putting every other regex metacharacter in a bracket expression:
    # "/v1.2/" becomes "/v1[.]2/", which does not match "/v1x2/". No
    # backslashes are produced, so neither the ban parser's escape handling
    # nor PCRE can reinterpret anything.
    set req.http.x-edgepurge-prefix = regsuball(req.http.X-Ban-Path, "([.$|?*+(){}\[\]])", "[\1]");
    if (std.ban("obj.http.x-host == " + req.http.host + " && obj.http.x-url ~ ^" + req.http.x-edgepurge-prefix)) {
        return (synth(200, "Banned"));
    }
    return (synth(400, std.ban_error()));
}

sub vcl_backend_response {
    # Remember URL and Host on the object for lurker-friendly bans.
    set beresp.http.x-url = bereq.url;
    set beresp.http.x-host = bereq.http.host;
}

sub vcl_deliver {
    unset resp.http.x-url;
    unset resp.http.x-host;
    # Tells edgepurge (and curl -I) whether this response came from cache.
    if (obj.uncacheable) {
        set resp.http.X-Cache = "PASS";
    } elsif (obj.hits > 0) {
        set resp.http.X-Cache = "HIT";
    } else {
        set resp.http.X-Cache = "MISS";
    }
}

sub vcl_synth {
    # Answers to PURGE and BAN: one line of plain text, instead of the builtin HTML error page.
    if (req.method == "PURGE" || req.method == "BAN") {
        if (req.http.x-edgepurge-count) {
            set resp.http.xkey-purged = req.http.x-edgepurge-count;
        }
        if (req.http.x-edgepurge-soft) {
            set resp.http.soft-purged = req.http.x-edgepurge-soft;
        }
        set resp.http.Content-Type = "text/plain; charset=utf-8";
        set resp.body = "" + resp.status + " " + resp.reason + {"
"};
        return (deliver);
    }
}
