#!/bin/sh
# GIT_ASKPASS helper for `aviary analyze --watch`: git runs it with its prompt as the only argument
# and reads the answer from stdout. The answers come from the environment (a Secret in
# deploy/analyzer), so credentials never sit in a URL, an argument or the clone's config.
case "$1" in
  Username*) printf '%s\n' "${AVIARY_GIT_USERNAME:?AVIARY_GIT_USERNAME is not set}" ;;
  *) printf '%s\n' "${AVIARY_GIT_PASSWORD:?AVIARY_GIT_PASSWORD is not set}" ;;
esac
