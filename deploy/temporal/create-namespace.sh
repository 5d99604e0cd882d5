#!/bin/sh
# Creates the ekm namespace and registers the ekm search attributes, both only when missing. The list
# (EKM_SEARCH_ATTRIBUTES, NAME=Type pairs) comes from the compose file, which a test keeps equal to the
# code's definition (common/searchAttributes.ts).
set -eu
: "${TEMPORAL_ADDRESS:?}" "${EKM_NAMESPACE:?}" "${EKM_SEARCH_ATTRIBUTES:?}"
tries=0
until temporal operator cluster health >/dev/null 2>&1; do
  tries=$((tries + 1))
  [ "$tries" -lt 60 ] || { echo "Temporal at $TEMPORAL_ADDRESS is not healthy after 60 tries"; exit 1; }
  sleep 2
done
if temporal operator namespace describe --namespace "$EKM_NAMESPACE" >/dev/null 2>&1; then
  echo "namespace $EKM_NAMESPACE exists"
else
  temporal operator namespace create --namespace "$EKM_NAMESPACE" --retention "${EKM_NAMESPACE_RETENTION:-720h}"
fi
registered() { temporal operator search-attribute list --namespace "$EKM_NAMESPACE" --output json; }
for pair in $EKM_SEARCH_ATTRIBUTES; do
  name=${pair%%=*} type=${pair#*=}
  if registered | grep -q "\"$name\""; then
    echo "search attribute $name exists"
  else
    temporal operator search-attribute create --namespace "$EKM_NAMESPACE" --name "$name" --type "$type"
  fi
done
# Checked once more, as the workers will need them: a missing one fails the job and so the workers' start.
for pair in $EKM_SEARCH_ATTRIBUTES; do
  registered | grep -q "\"${pair%%=*}\"" || { echo "search attribute ${pair%%=*} is missing"; exit 1; }
done
echo "namespace $EKM_NAMESPACE is ready"
