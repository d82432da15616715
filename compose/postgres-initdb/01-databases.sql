-- One database per service, in the one PostgreSQL of the compose stack.
CREATE DATABASE discount;
CREATE DATABASE payment;
CREATE DATABASE cart;
