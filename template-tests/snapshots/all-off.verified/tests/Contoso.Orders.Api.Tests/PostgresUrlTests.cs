using Contoso.Orders.Api.Configuration;
using Npgsql;

namespace Contoso.Orders.Api.Tests;

public sealed class PostgresUrlTests
{
    [Fact]
    public void A_full_url_becomes_a_connection_string()
    {
        Assert.True(PostgresUrl.TryParse("postgres://app%40corp:p%3Ass@db.internal:6543/orders?sslmode=require", out var connectionString));

        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        Assert.Equal("db.internal", builder.Host);
        Assert.Equal(6543, builder.Port);
        Assert.Equal("orders", builder.Database);
        Assert.Equal("app@corp", builder.Username);
        Assert.Equal("p:ss", builder.Password);
        Assert.Equal(SslMode.Require, builder.SslMode);
    }

    [Fact]
    public void The_port_defaults_to_5432_and_postgresql_is_accepted_as_the_scheme()
    {
        Assert.True(PostgresUrl.TryParse("postgresql://app:secret@localhost/orders", out var connectionString));

        Assert.Equal(5432, new NpgsqlConnectionStringBuilder(connectionString).Port);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("not a url")]
    [InlineData("mysql://app:secret@localhost/orders")]
    [InlineData("postgres://app:secret@localhost/")]
    [InlineData("postgres://localhost/orders")]
    [InlineData("postgres://app:secret@localhost/orders?sslmode=sometimes")]
    public void Anything_else_is_refused(string? url)
    {
        Assert.False(PostgresUrl.TryParse(url, out _));
    }
}

public sealed class DatabaseSettingsTests
{
    [Fact]
    public void A_connection_string_without_a_connect_timeout_gets_five_seconds()
    {
        var settings = new DatabaseSettings { ConnectionString = "Host=db;Database=app;Username=app;Password=secret" };

        Assert.Equal(DatabaseSettings.DefaultConnectTimeoutSeconds, new NpgsqlConnectionStringBuilder(settings.ResolveConnectionString()).Timeout);
    }

    [Fact]
    public void A_connect_timeout_given_is_kept()
    {
        var settings = new DatabaseSettings { ConnectionString = "Host=db;Database=app;timeout=20" };

        Assert.Equal(20, new NpgsqlConnectionStringBuilder(settings.ResolveConnectionString()).Timeout);
    }

    [Fact]
    public void A_database_url_gets_the_default_connect_timeout_too()
    {
        var settings = new DatabaseSettings { DatabaseUrl = "postgres://app:secret@db:5432/app" };

        Assert.Equal(DatabaseSettings.DefaultConnectTimeoutSeconds, new NpgsqlConnectionStringBuilder(settings.ResolveConnectionString()).Timeout);
    }

    [Fact]
    public void A_connection_string_that_does_not_say_gets_automatic_preparation_and_no_reset_on_close_without_multiplexing()
    {
        var settings = new DatabaseSettings { ConnectionString = "Host=db;Database=app;Username=app;Password=secret" };

        var resolved = new NpgsqlConnectionStringBuilder(settings.ResolveConnectionString());

        Assert.False(resolved.Multiplexing);
        Assert.Equal(DatabaseSettings.DefaultMaxAutoPrepare, resolved.MaxAutoPrepare);
        Assert.True(resolved.NoResetOnClose);
    }

    [Theory]
    [InlineData("Multiplexing=true;Max Auto Prepare=0;No Reset On Close=false")]
    [InlineData("multiplexing=true;maxautoprepare=0;noresetonclose=false")]
    public void Multiplexing_preparation_and_reset_given_in_any_spelling_are_kept(string given)
    {
        var settings = new DatabaseSettings { ConnectionString = $"Host=db;Database=app;{given}" };

        var resolved = new NpgsqlConnectionStringBuilder(settings.ResolveConnectionString());

        Assert.True(resolved.Multiplexing);
        Assert.Equal(0, resolved.MaxAutoPrepare);
        Assert.False(resolved.NoResetOnClose);
    }

    [Fact]
    public void Callers_that_run_synchronous_commands_get_no_multiplexing_even_when_the_connection_string_asks_for_it()
    {
        var settings = new DatabaseSettings { ConnectionString = "Host=db;Database=app;Multiplexing=true" };

        Assert.True(new NpgsqlConnectionStringBuilder(settings.ResolveConnectionString()).Multiplexing);
        Assert.False(new NpgsqlConnectionStringBuilder(settings.ResolveConnectionString(synchronous: true)).Multiplexing);
    }
}
