package kvmsim.actors.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.cbor.CBORFactory;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * A journal's rows changed behind kvmsim's back, over plain JDBC, as a damaged disk or a hand with
 * SQL would: rows deleted, copied to another sequence number, their payload overwritten.
 */
public final class JournalRows implements AutoCloseable {

    private final Connection c;

    private JournalRows(Connection c) {
        this.c = c;
    }

    /** The H2 journal in {@code dir} (as {@code --journal h2:DIR} opens it). */
    public static JournalRows h2(Path dir) throws SQLException {
        return new JournalRows(DriverManager.getConnection("jdbc:h2:file:" + dir.resolve("journal")
                + ";DB_CLOSE_DELAY=-1", "sa", ""));
    }

    /** The sequence numbers of {@code persistenceId}, in order. */
    public List<Long> sequenceNrs(String persistenceId) throws SQLException {
        List<Long> out = new ArrayList<>();
        try (PreparedStatement st = c.prepareStatement("select \"sequence_number\" from \"event_journal\" "
                + "where \"persistence_id\" = ? order by \"sequence_number\"")) {
            st.setString(1, persistenceId);
            try (ResultSet rs = st.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getLong(1));
                }
            }
        }
        return out;
    }

    /** The persistence id under {@code prefix} with the most rows. */
    public String busiest(String prefix) throws SQLException {
        try (PreparedStatement st = c.prepareStatement("select \"persistence_id\" from \"event_journal\" where "
                + "\"persistence_id\" like ? group by \"persistence_id\" order by count(*) desc, \"persistence_id\" "
                + "limit 1")) {
            st.setString(1, prefix + "%");
            try (ResultSet rs = st.executeQuery()) {
                rs.next();
                return rs.getString(1);
            }
        }
    }

    public void delete(String persistenceId, long sequenceNr) throws SQLException {
        updateRow("delete from \"event_journal\" where \"persistence_id\" = ? and \"sequence_number\" = ?",
                persistenceId, sequenceNr, persistenceId, sequenceNr);
    }

    /** A copy of row {@code from} written as row {@code to} of the same persistence id: a forged event. */
    public void copy(String persistenceId, long from, long to) throws SQLException {
        updateRow("insert into \"event_journal\" (\"deleted\", \"persistence_id\", "
                + "\"sequence_number\", \"writer\", \"write_timestamp\", \"adapter_manifest\", \"event_payload\", "
                + "\"event_ser_id\", \"event_ser_manifest\") select \"deleted\", \"persistence_id\", ?, \"writer\", "
                + "\"write_timestamp\", \"adapter_manifest\", \"event_payload\", \"event_ser_id\", \"event_ser_manifest\" "
                + "from \"event_journal\" where \"persistence_id\" = ? and \"sequence_number\" = ?", persistenceId, from,
                to, persistenceId, from);
    }

    /** Overwrites a row's payload. */
    public void payload(String persistenceId, long sequenceNr, byte[] bytes) throws SQLException {
        updateRow("update \"event_journal\" set \"event_payload\" = ? where \"persistence_id\" = ? and "
                + "\"sequence_number\" = ?", persistenceId, sequenceNr, bytes, persistenceId, sequenceNr);
    }

    /** A row's payload. */
    public byte[] payload(String persistenceId, long sequenceNr) throws SQLException {
        try (PreparedStatement st = c.prepareStatement("select \"event_payload\" from \"event_journal\" where "
                + "\"persistence_id\" = ? and \"sequence_number\" = ?")) {
            st.setString(1, persistenceId);
            st.setLong(2, sequenceNr);
            try (ResultSet rs = st.executeQuery()) {
                if (!rs.next()) {
                    throw new IllegalStateException("no row " + persistenceId + " " + sequenceNr);
                }
                return rs.getBytes(1);
            }
        }
    }

    /** Renames the type of the event a row of an entity holds (its {@code @type}), as a newer kvmsim might write. */
    public void retype(String persistenceId, long sequenceNr, String type) throws Exception {
        ObjectMapper cbor = new ObjectMapper(new CBORFactory());
        ObjectNode row = (ObjectNode) cbor.readTree(payload(persistenceId, sequenceNr));
        ((ObjectNode) row.get("event")).put("@type", type);
        payload(persistenceId, sequenceNr, cbor.writeValueAsBytes(row));
    }

    /** Overwrites a row's serializer manifest (the class it names). */
    public void manifest(String persistenceId, long sequenceNr, String manifest) throws SQLException {
        updateRow("update \"event_journal\" set \"event_ser_manifest\" = ? where \"persistence_id\" = ? and "
                + "\"sequence_number\" = ?", persistenceId, sequenceNr, manifest, persistenceId, sequenceNr);
    }

    /** Deletes the journal's identity, as a journal initialised before kvmsim wrote one has none. */
    public void forgetIdentity() throws SQLException {
        try (PreparedStatement st = c.prepareStatement("delete from kvmsim_journal")) {
            if (st.executeUpdate() != 1) {
                throw new IllegalStateException("the journal had no identity row");
            }
        }
    }

    // runs a statement that must change exactly one row, the row of {@code persistenceId} and {@code sequenceNr}
    private void updateRow(String sql, String persistenceId, long sequenceNr, Object... params) throws SQLException {
        try (PreparedStatement st = c.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) {
                st.setObject(i + 1, params[i]);
            }
            if (st.executeUpdate() != 1) {
                throw new IllegalStateException("no row " + persistenceId + " " + sequenceNr);
            }
        }
    }

    @Override
    public void close() throws SQLException {
        c.close();
    }
}
