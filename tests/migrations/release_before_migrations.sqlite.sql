-- The schema of the release before migrations (commit 4fd73b9), as its create_schema() made it: the
-- starting point tests/test_migrations.py upgrades from. Generated from that release's models.
CREATE TABLE area (
	id VARCHAR(64) NOT NULL, 
	name VARCHAR(200) NOT NULL, 
	council VARCHAR(200) NOT NULL, 
	advisor_team VARCHAR(200) NOT NULL, 
	front_door_name VARCHAR(200), 
	phone VARCHAR(64), 
	email VARCHAR(200), 
	web VARCHAR(500), 
	opening_hours JSON NOT NULL, 
	school_holidays JSON NOT NULL, 
	safeguarding JSON NOT NULL, 
	localities JSON NOT NULL, 
	sources JSON NOT NULL, 
	PRIMARY KEY (id)
);
CREATE TABLE directory_version (
	id INTEGER NOT NULL, 
	serial INTEGER NOT NULL, 
	derived_format INTEGER NOT NULL, 
	PRIMARY KEY (id)
);
CREATE TABLE need (
	id VARCHAR(64) NOT NULL, 
	name VARCHAR(200) NOT NULL, 
	synonyms JSON NOT NULL, 
	PRIMARY KEY (id)
);
CREATE TABLE organisation (
	id VARCHAR(128) NOT NULL, 
	name VARCHAR(300) NOT NULL, 
	description TEXT, 
	email VARCHAR(200), 
	website VARCHAR(500), 
	phone VARCHAR(64), 
	PRIMARY KEY (id)
);
CREATE TABLE location (
	id VARCHAR(128) NOT NULL, 
	area_id VARCHAR(64) NOT NULL, 
	name VARCHAR(300) NOT NULL, 
	kind VARCHAR(64), 
	address_1 VARCHAR(300), 
	city VARCHAR(120), 
	postal_code VARCHAR(16), 
	latitude FLOAT, 
	longitude FLOAT, 
	illustrative BOOLEAN NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(area_id) REFERENCES area (id)
);
CREATE INDEX ix_location_area_id ON location (area_id);
CREATE TABLE service (
	id VARCHAR(128) NOT NULL, 
	area_id VARCHAR(64) NOT NULL, 
	organisation_id VARCHAR(128), 
	name VARCHAR(300) NOT NULL, 
	description TEXT, 
	url VARCHAR(500), 
	email VARCHAR(200), 
	status VARCHAR(32) NOT NULL, 
	minimum_age INTEGER, 
	maximum_age INTEGER, 
	audience JSON NOT NULL, 
	access JSON NOT NULL, 
	is_free BOOLEAN NOT NULL, 
	area_wide BOOLEAN NOT NULL, 
	localities JSON, 
	source VARCHAR(200), 
	PRIMARY KEY (id), 
	FOREIGN KEY(area_id) REFERENCES area (id), 
	FOREIGN KEY(organisation_id) REFERENCES organisation (id)
);
CREATE INDEX ix_service_area_id ON service (area_id);
CREATE INDEX ix_service_organisation_id ON service (organisation_id);
CREATE TABLE contact (
	id VARCHAR(200) NOT NULL, 
	service_id VARCHAR(128) NOT NULL, 
	name VARCHAR(200), 
	phone VARCHAR(64), 
	email VARCHAR(200), 
	PRIMARY KEY (id), 
	FOREIGN KEY(service_id) REFERENCES service (id)
);
CREATE INDEX ix_contact_service_id ON contact (service_id);
CREATE TABLE cost_option (
	id VARCHAR(200) NOT NULL, 
	service_id VARCHAR(128) NOT NULL, 
	option VARCHAR(200), 
	amount FLOAT, 
	currency VARCHAR(3), 
	amount_description TEXT, 
	PRIMARY KEY (id), 
	FOREIGN KEY(service_id) REFERENCES service (id)
);
CREATE INDEX ix_cost_option_service_id ON cost_option (service_id);
CREATE TABLE schedule (
	id VARCHAR(300) NOT NULL, 
	service_id VARCHAR(128) NOT NULL, 
	location_id VARCHAR(128), 
	weekday INTEGER NOT NULL, 
	opens_at TIME NOT NULL, 
	closes_at TIME NOT NULL, 
	valid_from DATE, 
	valid_to DATE, 
	term_time_only BOOLEAN NOT NULL, 
	illustrative BOOLEAN NOT NULL, 
	description TEXT, 
	PRIMARY KEY (id), 
	FOREIGN KEY(service_id) REFERENCES service (id), 
	FOREIGN KEY(location_id) REFERENCES location (id)
);
CREATE INDEX ix_schedule_location_id ON schedule (location_id);
CREATE INDEX ix_schedule_service_id ON schedule (service_id);
CREATE TABLE search_point (
	id INTEGER NOT NULL, 
	service_id VARCHAR(128) NOT NULL, 
	location_id VARCHAR(128), 
	need_id VARCHAR(64) NOT NULL, 
	need_rank INTEGER NOT NULL, 
	area_id VARCHAR(64) NOT NULL, 
	latitude FLOAT, 
	longitude FLOAT, 
	minimum_age INTEGER, 
	maximum_age INTEGER, 
	is_free BOOLEAN NOT NULL, 
	area_wide BOOLEAN NOT NULL, 
	days_mask INTEGER NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(service_id) REFERENCES service (id), 
	FOREIGN KEY(location_id) REFERENCES location (id)
);
CREATE INDEX ix_search_point_area_wide ON search_point (area_id, area_wide, need_id);
CREATE INDEX ix_search_point_lat ON search_point (latitude);
CREATE INDEX ix_search_point_need_lat ON search_point (need_id, latitude);
CREATE INDEX ix_search_point_service_id ON search_point (service_id);
CREATE TABLE service_at_location (
	id VARCHAR(300) NOT NULL, 
	service_id VARCHAR(128) NOT NULL, 
	location_id VARCHAR(128) NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(service_id) REFERENCES service (id), 
	FOREIGN KEY(location_id) REFERENCES location (id)
);
CREATE INDEX ix_service_at_location_location_id ON service_at_location (location_id);
CREATE INDEX ix_service_at_location_service_id ON service_at_location (service_id);
CREATE TABLE service_need (
	service_id VARCHAR(128) NOT NULL, 
	need_id VARCHAR(64) NOT NULL, 
	rank INTEGER NOT NULL, 
	PRIMARY KEY (service_id, need_id), 
	FOREIGN KEY(service_id) REFERENCES service (id), 
	FOREIGN KEY(need_id) REFERENCES need (id)
);
CREATE TABLE service_term (
	term VARCHAR(65) NOT NULL, 
	service_id VARCHAR(128) NOT NULL, 
	weight FLOAT NOT NULL, 
	PRIMARY KEY (term, service_id), 
	FOREIGN KEY(service_id) REFERENCES service (id)
);
CREATE INDEX ix_service_term_service_id ON service_term (service_id);
CREATE TABLE service_vector (
	service_id VARCHAR(128) NOT NULL, 
	vector BLOB NOT NULL, 
	PRIMARY KEY (service_id), 
	FOREIGN KEY(service_id) REFERENCES service (id)
);
CREATE TABLE conversation (
	id VARCHAR(200) NOT NULL, 
	channel VARCHAR(40) NOT NULL, 
	address VARCHAR(200) NOT NULL, 
	mode VARCHAR(20) NOT NULL, 
	created_at DATETIME NOT NULL, 
	last_seen DATETIME NOT NULL, 
	PRIMARY KEY (id)
);
CREATE TABLE message (
	id INTEGER NOT NULL, 
	conversation_id VARCHAR(200) NOT NULL, 
	author VARCHAR(20) NOT NULL, 
	text TEXT NOT NULL, 
	buttons JSON NOT NULL, 
	extra JSON NOT NULL, 
	status VARCHAR(20) NOT NULL, 
	attempts INTEGER NOT NULL, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(conversation_id) REFERENCES conversation (id)
);
CREATE INDEX ix_message_conversation_created ON message (conversation_id, created_at);
CREATE INDEX ix_message_status ON message (status);
CREATE TABLE handoff_request (
	id INTEGER NOT NULL, 
	conversation_id VARCHAR(200) NOT NULL, 
	channel VARCHAR(40), 
	area_id VARCHAR(64), 
	reason VARCHAR(40) NOT NULL, 
	priority INTEGER NOT NULL, 
	status VARCHAR(20) NOT NULL, 
	summary JSON NOT NULL, 
	created_at DATETIME NOT NULL, 
	advisor_id INTEGER, 
	claimed_at DATETIME, 
	closed_at DATETIME, 
	outcome VARCHAR(40), 
	note TEXT, 
	PRIMARY KEY (id)
);
CREATE INDEX ix_handoff_request_conversation_id ON handoff_request (conversation_id);
CREATE TABLE advisor (
	id INTEGER NOT NULL, 
	name VARCHAR(100) NOT NULL, 
	password_hash VARCHAR(300) NOT NULL, 
	failed_logins INTEGER NOT NULL, 
	locked_until DATETIME, 
	presence VARCHAR(20) NOT NULL, 
	last_heartbeat DATETIME, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (name)
);
CREATE TABLE callback_request (
	id INTEGER NOT NULL, 
	conversation_id VARCHAR(200) NOT NULL, 
	handoff_id INTEGER, 
	area_id VARCHAR(64), 
	status VARCHAR(20) NOT NULL, 
	step VARCHAR(20) NOT NULL, 
	contact_kind VARCHAR(10), 
	contact VARCHAR(200), 
	good_time VARCHAR(200), 
	consent BOOLEAN NOT NULL, 
	consented_at DATETIME, 
	reason VARCHAR(40), 
	outcome VARCHAR(40), 
	note TEXT, 
	done_by INTEGER, 
	created_at DATETIME NOT NULL, 
	done_at DATETIME, 
	PRIMARY KEY (id)
);
CREATE INDEX ix_callback_request_conversation_id ON callback_request (conversation_id);
CREATE TABLE advisor_session (
	token_hash VARCHAR(64) NOT NULL, 
	advisor_id INTEGER NOT NULL, 
	csrf_token VARCHAR(64) NOT NULL, 
	created_at DATETIME NOT NULL, 
	expires_at DATETIME NOT NULL, 
	PRIMARY KEY (token_hash), 
	FOREIGN KEY(advisor_id) REFERENCES advisor (id) ON DELETE CASCADE
);
CREATE INDEX ix_advisor_session_advisor_id ON advisor_session (advisor_id);
