import java.util.concurrent.TimeUnit;

import org.neo4j.driver.AuthTokens;
import org.neo4j.driver.Config;
import org.neo4j.driver.Driver;
import org.neo4j.driver.GraphDatabase;
import org.neo4j.driver.Logging;
import org.neo4j.driver.Record;
import org.neo4j.driver.Session;
import org.neo4j.driver.exceptions.AuthenticationException;
import org.neo4j.driver.exceptions.ServiceUnavailableException;

/**
 * Readiness probe for scripts/neo4j-local: runs a real Cypher query over Bolt.
 *
 * An open port only shows that the socket is bound; the server can still be
 * starting its databases, so this logs in and runs a query the way graphkit
 * would. It uses the Java driver that is already in .neo4j-local/lib (pulled
 * in by org.neo4j:neo4j), so no Python or extra download is needed.
 *
 * Input comes from the environment (NEO4J_PROBE_URI, NEO4J_PASSWORD) so the
 * password never shows up in a process listing.
 *
 * Exit codes: 0 ready (prints "<name> <version> <edition>"), 1 wrong answer,
 * 2 not ready yet (connection refused, database still starting, ...),
 * 3 password rejected (retrying cannot help).
 */
public class BoltProbe {
    public static void main(String[] args) {
        String uri = System.getenv().getOrDefault("NEO4J_PROBE_URI", "bolt://127.0.0.1:7687");
        String password = System.getenv().getOrDefault("NEO4J_PASSWORD", "");
        Config config = Config.builder()
                .withLogging(Logging.none()) // keep the script's stderr readable
                .withConnectionTimeout(3, TimeUnit.SECONDS)
                .withConnectionAcquisitionTimeout(5, TimeUnit.SECONDS)
                .withMaxConnectionPoolSize(1)
                .build();
        try (Driver driver = GraphDatabase.driver(uri, AuthTokens.basic("neo4j", password), config);
                Session session = driver.session()) {
            Record one = session.run("RETURN 1 AS ok").single();
            if (one.get("ok").asInt() != 1) {
                System.err.println("unexpected query result: " + one);
                System.exit(1);
            }
            // dbms.components() answers from the system database, so this also
            // proves the DBMS finished starting, and tells us what is running.
            Record c = session.run("CALL dbms.components() YIELD name, versions, edition "
                    + "RETURN name, versions[0] AS version, edition").single();
            System.out.println(c.get("name").asString() + " " + c.get("version").asString() + " "
                    + c.get("edition").asString());
            System.exit(0);
        } catch (AuthenticationException e) {
            System.err.println("authentication failed: " + e.getMessage());
            System.exit(3);
        } catch (ServiceUnavailableException e) {
            System.err.println("not reachable yet: " + e.getMessage());
            System.exit(2);
        } catch (Exception e) {
            // e.g. DatabaseUnavailable while the default database is still starting
            System.err.println(e.getClass().getSimpleName() + ": " + e.getMessage());
            System.exit(2);
        }
    }
}
