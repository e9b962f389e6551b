using System.Text.Json;
using DitoChat.Application.Messages;
using FluentValidation;
using FluentValidation.Results;

namespace DitoChat.WebApi;

/// <summary>Reads a client's message (a socket frame or a POST body) into <see cref="SendMessage"/>.</summary>
public static class IncomingMessage
{
    /// <summary>Only <c>text</c>, <c>uid</c> and <c>title</c> are kept; <c>date</c> and unknown fields are skipped.</summary>
    /// <exception cref="ValidationException">Not one JSON object, or a kept field that is not a string of valid Unicode.</exception>
    public static SendMessage Parse(ReadOnlySpan<byte> utf8Json)
    {
        string? text = null, uid = null, title = null;
        try
        {
            var reader = new Utf8JsonReader(utf8Json);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                throw Invalid("message", "must be a JSON object");
            }
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("text"u8))
                {
                    text = ReadString(ref reader, "text");
                }
                else if (reader.ValueTextEquals("uid"u8))
                {
                    uid = ReadString(ref reader, "uid");
                }
                else if (reader.ValueTextEquals("title"u8))
                {
                    title = ReadString(ref reader, "title");
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }
            // Anything after the object (a second value, garbage) makes the reader throw.
            while (reader.Read())
            {
            }
        }
        catch (JsonException)
        {
            throw Invalid("message", "must be one valid JSON object");
        }
        return new SendMessage(text, uid, title);
    }

    public static ValidationException Invalid(string field, string problem) =>
        new([new ValidationFailure(field, problem)]);

    /// <summary>"text: must not be empty; uid: ..." for the socket's error object.</summary>
    public static string Describe(ValidationException exception) =>
        string.Join("; ", exception.Errors.Select(e => $"{e.PropertyName}: {e.ErrorMessage}"));

    private static string ReadString(ref Utf8JsonReader reader, string field)
    {
        reader.Read();
        if (reader.TokenType != JsonTokenType.String)
        {
            throw Invalid(field, "must be a string");
        }
        try
        {
            return reader.GetString()!;
        }
        catch (InvalidOperationException)
        {
            // An escaped half of a surrogate pair ("\ud800"): not text we can store or send on.
            throw Invalid(field, "must be valid Unicode text (it holds half of a surrogate pair)");
        }
    }
}
