#!/bin/sh
# kafka-run-class.sh CLASS [ARGS]: Kafka's launcher, reduced to what the
# stand-in needs. Tool JVMs start with C1 only and the serial collector.
: "${KAFKA_HEAP_OPTS:=-Xmx256m}"
: "${KAFKA_JVM_PERFORMANCE_OPTS:=-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Djava.awt.headless=true}"
: "${KAFKA_LOG4J_OPTS:=-Dlog4j.configuration=file:/opt/kafka/config/tools-log4j.properties}"
# shellcheck disable=SC2086 # the *_OPTS are lists of JVM options
exec java $KAFKA_HEAP_OPTS $KAFKA_JVM_PERFORMANCE_OPTS $KAFKA_LOG4J_OPTS ${KAFKA_OPTS:-} -cp "/opt/kafka/libs/*" "$@"
