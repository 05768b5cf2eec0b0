-- The tables FreeRADIUS 3.2 writes (rlm_sql, postgresql dialect): stock names, columns and indexes.
CREATE TABLE radacct (
    RadAcctId bigserial PRIMARY KEY,
    AcctSessionId text NOT NULL,
    AcctUniqueId text NOT NULL UNIQUE,
    UserName text,
    Realm text,
    NASIPAddress inet NOT NULL,
    NASPortId text,
    NASPortType text,
    AcctStartTime timestamp with time zone,
    AcctUpdateTime timestamp with time zone,
    AcctStopTime timestamp with time zone,
    AcctInterval bigint,
    AcctSessionTime bigint,
    AcctAuthentic text,
    ConnectInfo_start text,
    ConnectInfo_stop text,
    AcctInputOctets bigint,
    AcctOutputOctets bigint,
    CalledStationId text,
    CallingStationId text,
    AcctTerminateCause text,
    ServiceType text,
    FramedProtocol text,
    FramedIPAddress inet,
    FramedIPv6Address inet,
    FramedIPv6Prefix inet,
    FramedInterfaceId text,
    DelegatedIPv6Prefix inet,
    Class text
);
CREATE INDEX radacct_active_session_idx ON radacct (AcctUniqueId) WHERE AcctStopTime IS NULL;
CREATE INDEX radacct_bulk_close ON radacct (NASIPAddress, AcctStartTime) WHERE AcctStopTime IS NULL;
CREATE INDEX radacct_start_user_idx ON radacct (AcctStartTime, UserName);
CREATE INDEX radacct_calss_idx ON radacct (Class);

CREATE TABLE radpostauth (
    id bigserial PRIMARY KEY,
    username text NOT NULL,
    pass text,
    reply text,
    CalledStationId text,
    CallingStationId text,
    authdate timestamp with time zone NOT NULL DEFAULT now(),
    Class text
);
CREATE INDEX radpostauth_username_idx ON radpostauth (username);
CREATE INDEX radpostauth_class_idx ON radpostauth (Class);
-- An accepted password is never kept, whatever the post-auth query writes.
CREATE FUNCTION radpostauth_no_accepted_password() RETURNS trigger AS $$
BEGIN
    IF NEW.reply = 'Access-Accept' THEN
        NEW.pass := '';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER radpostauth_no_accepted_password BEFORE INSERT ON radpostauth
    FOR EACH ROW EXECUTE FUNCTION radpostauth_no_accepted_password();

CREATE TABLE nas (
    id serial PRIMARY KEY,
    nasname text NOT NULL,
    shortname text NOT NULL,
    type text NOT NULL DEFAULT 'other',
    ports integer,
    secret text NOT NULL,
    server text,
    community text,
    description text
);
CREATE INDEX nas_nasname ON nas (nasname);

CREATE TABLE nasreload (
    NASIPAddress inet PRIMARY KEY,
    ReloadTime timestamp with time zone NOT NULL
);
