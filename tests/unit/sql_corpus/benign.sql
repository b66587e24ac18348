# Queries the run_query rule of policies/example.json must let through.
# One per line (see README.md); \n is a line break.

# --- everyday analytics
SELECT count(*) FROM orders
SELECT * FROM orders WHERE created_at >= now() - interval '7 days'
SELECT customer_id, sum(total) AS revenue FROM orders GROUP BY customer_id ORDER BY revenue DESC LIMIT 10
SELECT * FROM daily_sales;
SELECT region, count(*) FILTER (WHERE status = 'shipped') FROM orders GROUP BY region
SELECT extract(year FROM created_at) AS y, count(*) FROM orders GROUP BY y
SELECT date_part('dow', created_at), date_trunc('week', created_at) FROM orders
SELECT to_char(created_at, 'YYYY-MM') AS month, avg(total)::numeric(10,2) FROM orders GROUP BY 1
SELECT row_number() OVER (PARTITION BY customer_id ORDER BY created_at) FROM orders
SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY total) FROM orders
SELECT DISTINCT ON (customer_id) customer_id, created_at FROM orders ORDER BY customer_id, created_at DESC
SELECT grouping(region), region, sum(total) FROM orders GROUP BY ROLLUP (region)
SELECT count(*) FROM orders GROUP BY GROUPING SETS ((region), ())
SELECT string_agg(name, ', ' ORDER BY name) FROM products
SELECT 100 * count(*) FILTER (WHERE refunded) / count(*) AS refund_rate FROM orders
SELECT * FROM orders ORDER BY total DESC NULLS LAST
SELECT * FROM orders OFFSET 10 LIMIT 10
SELECT * FROM orders FETCH FIRST 5 ROWS ONLY
SELECT * FROM orders TABLESAMPLE SYSTEM (10)
SELECT * FROM orders WHERE created_at BETWEEN '2024-01-01' AND '2024-02-01'
SELECT current_date, current_timestamp, now(), current_user
SELECT interval '1 day' * 3

# --- joins, subqueries, set operations, WITH
SELECT * FROM orders o JOIN customers c ON c.id = o.customer_id WHERE c.country = 'DE'
SELECT * FROM orders o LEFT JOIN LATERAL (SELECT * FROM shipments s WHERE s.order_id = o.id ORDER BY s.created_at DESC LIMIT 1) last_s ON true
SELECT * FROM orders WHERE EXISTS (SELECT 1 FROM refunds r WHERE r.order_id = orders.id)
SELECT * FROM orders WHERE id = ANY(ARRAY[1, 2, 3])
SELECT name FROM products UNION SELECT name FROM archived_products
SELECT customer_id FROM orders INTERSECT SELECT customer_id FROM refunds
SELECT customer_id FROM orders EXCEPT SELECT id FROM blocked_customers
WITH monthly AS (SELECT date_trunc('month', created_at) AS m, sum(total) AS t FROM orders GROUP BY 1) SELECT m, t, t - lag(t) OVER (ORDER BY m) AS delta FROM monthly
WITH RECURSIVE tree AS (SELECT id, parent_id FROM categories WHERE parent_id IS NULL UNION ALL SELECT c.id, c.parent_id FROM categories c JOIN tree t ON c.parent_id = t.id) SELECT count(*) FROM tree
WITH orders AS (SELECT 1 AS id) SELECT * FROM orders
SELECT * FROM generate_series(1, 10) AS g(n)
SELECT d::date FROM generate_series('2024-01-01'::date, '2024-12-31'::date, interval '1 day') AS d
SELECT x FROM unnest(ARRAY['drop', 'delete', 'truncate']) AS x
SELECT * FROM (VALUES ('a'), ('b')) AS v(letter)
VALUES (1, 'one'), (2, 'two')
TABLE daily_sales
(SELECT 1) UNION (SELECT 2)

# --- SQL syntax the grammar turns into pg_catalog calls and types
SELECT trim(name), substring(sku FROM 1 FOR 3), position('-' IN sku) FROM products
SELECT * FROM customers WHERE email SIMILAR TO '%@(example|test).com'
SELECT * FROM customers WHERE name LIKE 'a!%' ESCAPE '!'
SELECT created_at AT TIME ZONE 'UTC' FROM orders
SELECT x::int, y::numeric(10,2), z::varchar(20), w::timestamp FROM raw_import
SELECT CAST(total AS bigint), coalesce(discount, 0), greatest(a, b), nullif(c, 0) FROM pricing
SELECT * FROM public.orders
SELECT public.orders.id FROM public.orders
SELECT * FROM "Orders"
SELECT "Order Total" FROM "Quarterly Report"
SELECT jsonb_agg(p) FROM products p
SELECT data->>'delete' AS delete_flag FROM events
SELECT data #>> '{user,name}' FROM events
SELECT id FROM events WHERE payload @> '{"type": "drop"}'
SELECT regexp_replace(phone, '[^0-9]', '', 'g'), md5(email) FROM customers
SELECT pg_size_pretty(sum(bytes)) FROM storage_usage
SELECT xmlelement(name "order", id) FROM orders

# --- dangerous words, harmless: in string literals, identifiers, aliases
SELECT avg(sleep_hours) FROM health_metrics WHERE user_id = 42
SELECT sleep_hours, sleep_quality FROM wellness_survey
SELECT sleep FROM animals
SELECT title FROM articles WHERE title = 'Union of European states'
SELECT * FROM articles WHERE body ILIKE '%drop table%'
SELECT 'DROP TABLE orders; --' AS example_text
SELECT count(*) FROM deliveries WHERE status = 'drop-off'
SELECT update_count, delete_count FROM table_stats
SELECT "update_count" FROM audit_summary
SELECT "select", "from", "where" FROM keywords_as_columns
SELECT * FROM orders WHERE note = 'pg_sleep(10)'
SELECT * FROM notes WHERE content LIKE '%/* not a comment */%'
SELECT * FROM notes WHERE content = '-- not a comment either'
SELECT * FROM orders WHERE note = 'see /*! MySQL */ docs'
SELECT 'password' AS field_name, count(*) FROM form_errors GROUP BY 1
SELECT count(*) FROM logins WHERE failed_password_attempts > 3
SELECT password_reset_count FROM account_stats
SELECT tokens_used, token_count, model FROM llm_usage
SELECT secretary_name FROM offices
SELECT benchmark_score FROM cpu_results
SELECT lo_watermark FROM tides
SELECT waitfor, delay FROM odd_names
SELECT count(*) FROM shipping WHERE method = 'load_file transfer'
SELECT * FROM incidents WHERE title = 'Exec summary: xp_cmdshell incident'
SELECT count(*) FROM events WHERE name = 'ATTACH DATABASE attempt'
SELECT 'WAITFOR DELAY' AS mssql_keyword
SELECT * FROM orders WHERE status IN ('new', 'update', 'delete')
SELECT 'It''s a union; select * from users -- joke' AS quote
SELECT $$DROP TABLE orders; SELECT pg_sleep(10)$$ AS dollar_quoted
SELECT E'line one\nline two' AS two_lines
SELECT 'SELECT * FROM pg_shadow' AS tutorial_example
SELECT count(*) AS "pg_sleep" FROM orders
SELECT o.id AS "select * from users" FROM orders o
SELECT o.* FROM orders o
SELECT (address).city, (c.address).zip FROM customers c
SELECT count(*) FROM sessions WHERE ended_at IS NULL
SELECT token_type FROM tokens
SELECT dropoff_zone, pickup_zone FROM trips WHERE dropoff_zone <> pickup_zone
SELECT 'Union of European states' AS name UNION SELECT 'United Nations'
SELECT count(*) FROM orders\nWHERE total > 100
