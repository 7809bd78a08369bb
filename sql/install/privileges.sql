
-- Privileges ---------------------------------------------------------------
-- Routing and reading are for everyone.  Changing placement, health or the
-- recorded shape is for superusers and members of dakera_shard_admin, a role
-- created here if it does not exist (roles belong to the cluster, so DROP
-- EXTENSION leaves it).
-- Fresh installs only: these are 0.1.0's grants, and an update keeps them as
-- the database has them.  A GRANT or REVOKE in an update script records the
-- object's whole ACL, grants its users made included, as the extension's own
-- (pg_init_privs), and pg_dump then leaves those out.  Grants on objects that
-- a later version creates or re-creates go in privileges-since-0.1.0.sql.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) 'dakera_shard_admin') THEN
        CREATE ROLE dakera_shard_admin NOLOGIN;
    END IF;
END
$$;

REVOKE ALL ON FUNCTION record_shard_ring() FROM PUBLIC;
REVOKE ALL ON FUNCTION shard_ring_record_changed() FROM PUBLIC;
REVOKE ALL ON FUNCTION register_shard_nodes(int, text[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION unregister_shard_nodes(int) FROM PUBLIC;
REVOKE ALL ON FUNCTION set_node_health(text, bool) FROM PUBLIC;
REVOKE ALL ON FUNCTION reset_node_health(text) FROM PUBLIC;
REVOKE ALL ON shard_ring_record, shard_placement FROM PUBLIC;
GRANT SELECT ON shard_ring_record, shard_placement TO PUBLIC;

GRANT EXECUTE ON FUNCTION record_shard_ring(), register_shard_nodes(int, text[]),
    unregister_shard_nodes(int), set_node_health(text, bool), reset_node_health(text)
    TO dakera_shard_admin;
GRANT SELECT, INSERT, UPDATE, DELETE ON shard_ring_record, shard_placement TO dakera_shard_admin;
