// @samsa/broker: the single-node Kafka-compatible broker (storage, coordinators, one handler per
// API, network server, config). It depends on @samsa/protocol only. Built from issue #3 on.
export {};
