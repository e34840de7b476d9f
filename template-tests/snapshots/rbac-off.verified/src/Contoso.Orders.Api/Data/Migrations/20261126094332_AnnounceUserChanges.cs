using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Contoso.Orders.Api.Data.Migrations
{
    /// <summary>
    /// Every change to a user row, whoever makes it, is announced at commit on the <c>users_changed</c> channel with
    /// the user's id, so that every replica drops its cached copy (see <c>UserChangeListener</c>).
    /// </summary>
    public partial class AnnounceUserChanges : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                CREATE FUNCTION announce_user_change() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    PERFORM pg_notify('users_changed', OLD.id::text);
                    RETURN NULL;
                END
                $$;

                CREATE TRIGGER users_announce_change
                    AFTER UPDATE OR DELETE ON users
                    FOR EACH ROW EXECUTE FUNCTION announce_user_change();
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DROP TRIGGER users_announce_change ON users;
                DROP FUNCTION announce_user_change();
                """);
        }
    }
}
