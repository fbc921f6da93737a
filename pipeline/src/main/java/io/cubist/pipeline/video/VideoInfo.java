package io.cubist.pipeline.video;

/**
 * What the container says about a video's first video stream, before any frame is decoded.
 *
 * @param width          coded width in pixels
 * @param height         coded height in pixels
 * @param frameRate      the stream's average frame rate (frames per second), NaN when the container gives none
 * @param durationSec    the video stream's duration (the container's when the stream has none), NaN when unknown
 * @param startSec       presentation time of the stream's start (0 for most files), 0 when unknown
 * @param declaredFrames the frame count the container declares, -1 when it declares none
 * @param videoCodec     FFmpeg's codec name ({@code h264}, {@code vp9}, {@code mpeg4}, ...)
 * @param format         FFmpeg's container name ({@code mov,mp4,m4a,3gp,3g2,mj2}, {@code matroska,webm}, ...)
 * @param rotation       display rotation in degrees from the stream's side data (0, 90, 180 or 270); frames are
 *                       returned as coded, not rotated
 */
public record VideoInfo(int width, int height, double frameRate, double durationSec, double startSec,
                        long declaredFrames, String videoCodec, String format, int rotation) {
}
